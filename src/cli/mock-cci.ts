// `burstlet mock-cci`: a CCI 2.0 API backed by real processes.
import { defineSubcommand } from './flags.ts';

export default defineSubcommand({
  name: 'mock-cci',
  summary: 'Serve a mock CCI 2.0 API whose pods run as real processes.',
  flags: {},
  run() {
    throw new Error('burstlet mock-cci: not built yet');
  },
});
