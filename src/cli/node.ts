// `burstlet node`: the virtual node.
import { defineSubcommand } from './flags.ts';

export default defineSubcommand({
  name: 'node',
  summary: 'Register a virtual node and run its pods on CCI.',
  flags: {},
  run() {
    throw new Error('burstlet node: not built yet');
  },
});
