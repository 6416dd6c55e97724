// `burstlet local`: the whole local environment (control plane, mock CCI, virtual node).
import { join } from 'node:path';
import { LOG_LEVELS, createLogger } from '../log/logger.ts';
import { startLocalControlPlane } from '../local/control-plane.ts';
import { defineSubcommand, enumFlag, intFlag, ipAddress, stringFlag, type FlagDef } from './flags.ts';

const addressFlag: FlagDef<string> = { ...stringFlag('Address the API server listens on.', '127.0.0.1', 'an IP address'), parse: ipAddress };

export default defineSubcommand({
  name: 'local',
  summary: 'Run a local control plane (API server, scheduler, controllers) for development and tests.',
  flags: {
    'state-dir': stringFlag('Directory for the CA, certificates and kubeconfig.', '.burstlet', 'a directory path'),
    address: addressFlag,
    port: intFlag('HTTPS port of the API server (0 picks a free one).', 6443, 0, 65535),
    'log-level': enumFlag('Log level (logs go to stderr).', 'info', LOG_LEVELS),
  },
  async run(flags) {
    const logger = createLogger(flags['log-level'], 'burstlet-local');
    const plane = await startLocalControlPlane({ stateDir: flags['state-dir'], host: flags.address, port: flags.port, logger });
    const kubeconfig = join(flags['state-dir'], 'kubeconfig');
    console.log(`burstlet local: ready at ${plane.url}, kubeconfig ${kubeconfig}`);
    const stop = (signal: string): void => {
      logger.info({ signal }, 'stopping');
      plane.close().then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'stopping failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  },
});
