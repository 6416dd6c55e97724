// `burstlet sidecar`: the networking proxy inside each burst pod. It follows the service
// directory streamed by burstlet and makes every ClusterIP:port reachable in the pod.
import { readFileSync } from 'node:fs';
import { createLogger, LOG_LEVELS, type Logger } from '../log/logger.ts';
import { DEFAULT_PROXY_MODE, PROXY_MODES, SIDECAR_CA_ENV, SIDECAR_CREDENTIAL_ENV, SIDECAR_HEALTH_PORT, type ProxyMode } from '../network/sidecar-injection.ts';
import { loopbackAddresses } from '../sidecar/addresses.ts';
import { nftablesDnat } from '../sidecar/dnat.ts';
import { NftablesProxier } from '../sidecar/nftables-proxier.ts';
import { Proxier } from '../sidecar/proxier.ts';
import type { ServiceProxy } from '../sidecar/service-proxy.ts';
import { startSidecar } from '../sidecar/sidecar.ts';
import { waitReady } from '../sidecar/wait-ready.ts';
import { defineSubcommand, durationFlag, enumFlag, formatDuration, intFlag, stringFlag, UsageError, type FlagDef } from '../flags/flags.ts';
import { errorMessage } from '../log/error-message.ts';
import { parseServiceRef, serviceRefFlag } from '../network/service-ref.ts';


const directoryUrl: FlagDef<string> = {
  help: "The service directory's WebSocket URL (served by burstlet node).",
  accepted: 'a ws:// or wss:// URL',
  default: '',
  parse: (raw) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new Error('not a URL');
    }
    if (url.protocol !== 'wss:' && url.protocol !== 'ws:') throw new Error(`scheme ${url.protocol} is not ws: or wss:`);
    return raw;
  },
};

function readFileFlag(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new UsageError(`burstlet sidecar: cannot read --${flag} ${JSON.stringify(path)}: ${errorMessage(err)}`);
  }
}

function serviceProxy(mode: ProxyMode, udpIdleTimeoutMs: number, log: Logger): ServiceProxy {
  if (mode === 'nftables') return new NftablesProxier({ log });
  return new Proxier({ addresses: loopbackAddresses(), nat: nftablesDnat(), log, udpIdleTimeoutMs });
}

export default defineSubcommand({
  name: 'sidecar',
  summary: 'Proxy ClusterIP Services and cluster DNS inside a burst pod.',
  flags: {
    'directory-url': directoryUrl,
    'directory-service': serviceRefFlag(
      'Service (namespace/name) whose endpoints are burstlet\'s replicas: when --directory-url cannot be reached, they are tried in turn (a leader handover) (empty = none).',
    ),
    'pod-uid': stringFlag('The uid of the Kubernetes pod this sidecar serves.', '', 'a pod uid'),
    'credential-file': stringFlag(`File holding the pod's directory credential (else $${SIDECAR_CREDENTIAL_ENV}).`, '', 'a file path'),
    'ca-file': stringFlag(`PEM file of the CA that signed the directory's certificate (else $${SIDECAR_CA_ENV}, else the system CAs).`, '', 'a file path'),
    'log-level': enumFlag('Log level.', 'info', LOG_LEVELS),
    'health-port': intFlag('Port of the health endpoint for the readiness probe (0 turns it off).', SIDECAR_HEALTH_PORT, 0, 65535),
    'wait-ready': durationFlag(
      'Instead of proxying: wait up to this long for this pod\'s sidecar to be healthy on --health-port, exit 0 when it is, 1 if not (its postStart hook; 0 = off).',
      0,
    ),
    'proxy-mode': enumFlag(
      'How Service traffic reaches endpoints: nftables (DNAT to the endpoint in the kernel, as kube-proxy; needs nft and conntrack) or userspace (listeners in this process that dial endpoints, trying the next when a dial fails).',
      DEFAULT_PROXY_MODE,
      PROXY_MODES,
    ),
    'udp-idle-timeout': durationFlag('userspace mode: a UDP flow without traffic for this long is closed.', 30_000),
    'termination-drain': durationFlag(
      'On SIGTERM, keep proxying this long (the app containers are stopping too and may still call Services), then exit.',
      5_000,
    ),
  },
  async run(flags) {
    if (flags['wait-ready'] > 0) {
      if (await waitReady(flags['health-port'], flags['wait-ready'])) return;
      console.error(`burstlet sidecar: not healthy on port ${flags['health-port']} within ${formatDuration(flags['wait-ready'])}; see the burstlet-network container's logs`);
      process.exit(1);
    }
    if (flags['directory-url'] === '') throw new UsageError('burstlet sidecar: --directory-url is required; expected a ws:// or wss:// URL');
    if (flags['pod-uid'] === '') throw new UsageError('burstlet sidecar: --pod-uid is required; expected a pod uid');
    const credential = flags['credential-file'] !== ''
      ? readFileFlag('credential-file', flags['credential-file'])
      : (process.env[SIDECAR_CREDENTIAL_ENV] ?? '');
    if (credential === '') {
      throw new UsageError(`burstlet sidecar: no credential; pass --credential-file or set ${SIDECAR_CREDENTIAL_ENV}`);
    }
    const ca = flags['ca-file'] !== '' ? readFileFlag('ca-file', flags['ca-file']) : process.env[SIDECAR_CA_ENV] || undefined;
    const log = createLogger(flags['log-level'], 'sidecar');
    const sidecar = await startSidecar({
      directoryUrl: flags['directory-url'],
      ...(flags['directory-service'] !== '' ? { directoryService: parseServiceRef(flags['directory-service']) } : {}),
      podUid: flags['pod-uid'],
      credential,
      ...(ca ? { ca } : {}),
      proxy: serviceProxy(flags['proxy-mode'], flags['udp-idle-timeout'], log),
      log,
      health: flags['health-port'] === 0 ? null : { host: '0.0.0.0', port: flags['health-port'] },
    });
    log.info({ directory: flags['directory-url'], podUid: flags['pod-uid'], healthPort: sidecar.healthPort, proxyMode: flags['proxy-mode'] }, 'sidecar started');
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        log.info({ drainMs: flags['termination-drain'] }, 'terminating: still proxying while the pod stops');
        setTimeout(() => void sidecar.stop().finally(resolve), flags['termination-drain']);
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    // Established connections would keep the process alive; the pod is going away.
    process.exit(0);
  },
});
