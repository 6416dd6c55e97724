// `burstlet sidecar`: the networking proxy inside each burst pod.
import { defineSubcommand } from './flags.ts';

export default defineSubcommand({
  name: 'sidecar',
  summary: 'Proxy ClusterIP Services and cluster DNS inside a burst pod.',
  flags: {},
  run() {
    throw new Error('burstlet sidecar: not built yet');
  },
});
