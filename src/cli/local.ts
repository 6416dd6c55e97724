// `burstlet local`: the whole local environment (control plane, mock CCI, virtual node).
import { defineSubcommand } from './flags.ts';

export default defineSubcommand({
  name: 'local',
  summary: 'Run a local control plane (API server, scheduler, controllers) for development and tests.',
  flags: {},
  run() {
    throw new Error('burstlet local: not built yet');
  },
});
