// `burstlet node`: the virtual node. Flags follow kubelet and virtual-kubelet spelling; every
// value is validated before anything starts.
import { readFileSync } from 'node:fs';
import { CciClient } from '../cci/client.ts';
import { createLogger, LOG_LEVELS, type Logger } from '../log/logger.ts';
import { dnsFlags } from '../network/dns/flags.ts';
import { dnsDomain } from '../flags/flags.ts';
import { networkFlags } from '../network/flags.ts';
import { policyFlags } from '../policy/flags.ts';
import { loadHostResolvConf } from '../network/dns/host-resolv-conf.ts';
import { DEFAULT_TAINT, unusableNetwork, type ClusterRanges } from '../cci-provider/node.ts';
import type { CciNetwork } from '../cci/types.ts';
import { parseCidr } from '../net/cidr.ts';
import { parseTaint } from '../provider/node/node-object.ts';
import { startVirtualNode } from '../cci-provider/virtual-node.ts';
import { parseZoneConfig } from '../cci-provider/zone-config.ts';
import { connectionFlags, connectionLimits } from './connection-flags.ts';
import { leaderElectionConfig, leaderElectionFlags } from './leader-election-flags.ts';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { exitOnSignals } from './shutdown.ts';
import {
  addressFlag, boolFlag, defineSubcommand, durationFlag, enumFlag, intFlag, ipAddress, keyValueFlag, listFlag, requiredString, stringFlag, UsageError, type FlagDef,
} from '../flags/flags.ts';
import type { LevelWithSilent } from 'pino';
import { errorMessage } from '../log/error-message.ts';

function urlFlag(help: string): FlagDef<string> {
  return {
    help,
    accepted: 'an http:// or https:// URL',
    default: '',
    parse: (raw) => {
      const url = new URL(raw);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http or https');
      return raw.replace(/\/$/, '');
    },
  };
}

function readSecretFile(flag: string, path: string): string {
  try {
    const value = readFileSync(path, 'utf8').trim();
    if (value === '') throw new Error('the file is empty');
    return value;
  } catch (err) {
    throw new UsageError(`burstlet node: cannot read --${flag} ${JSON.stringify(path)}: ${errorMessage(err)}; give a readable file holding the value`);
  }
}

const flags = {
  nodename: { ...requiredString('Name of the virtual node (required)', 'a DNS-1123 subdomain'), parse: dnsDomain },
  kubeconfig: stringFlag('Kubeconfig file for the API server; empty = in-cluster config (KUBERNETES_SERVICE_HOST and the service-account files)', '', 'a file path'),
  'cci-endpoint': urlFlag('CCI API endpoint (required), e.g. https://cci.<region>.myhuaweicloud.com or the URL `burstlet mock-cci` prints'),
  'cci-namespace': stringFlag('CCI namespace the pods run in; its Network and quota size the node', 'default', 'a CCI namespace name'),
  'cci-token-file': stringFlag('File holding the CCI token (required; read once, never logged)', '', 'a file path'),
  'cci-ca-file': stringFlag('PEM CA bundle for a CCI endpoint with a private CA', '', 'a file path'),
  'cluster-id': {
    ...stringFlag('This cluster\'s identity, labelled with the node name on every CCI pod it creates so that nodes and clusters sharing a CCI namespace each sweep only their own; empty = the kube-system Namespace\'s uid', '', 'a label value (at most 63 of A-Z a-z 0-9 - _ .)'),
    parse: (raw: string) => {
      if (raw.length > 63 || !/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(raw)) throw new Error('not a label value');
      return raw;
    },
  },
  'node-labels': keyValueFlag('Labels added to the node, over the defaults (type=virtual-kubelet, kubernetes.io/role=agent, …)'),
  'virtual-node-labels': boolFlag(
    'Label the node as a virtual node (type=virtual-kubelet, kubernetes.io/role=agent, virtual-kubelet.io/provider=cci); false leaves only an ordinary node\'s labels (hostname, os, arch), as the local environment\'s stand-in cluster node',
    true,
  ),
  'node-taints': listFlag('Taints of the node; --node-taints= (empty) for none', 'key=value:Effect taints', parseTaint, {
    default: [DEFAULT_TAINT],
    show: (t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`,
  }),
  zone: stringFlag('Zone of the node: the topology.kubernetes.io/zone label', '', 'a zone name'),
  'zone-config-map': {
    ...stringFlag('The ConfigMap declaring one virtual node per availability zone besides this global one, as CCE\'s add-on (<az>: "true", <az>.cpu, <az>.memory, <az>.networks); re-read on change; empty = none', 'kube-system/bursting-node', 'namespace/name'),
    parse: (raw: string) => {
      if (raw !== '' && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/.test(raw)) throw new Error('not namespace/name');
      return raw;
    },
  },
  'zone-nodes': keyValueFlag('Zone nodes without the ConfigMap (or besides it; its keys win), in its keys: <az>=true, <az>.cpu=64, <az>.memory=256Gi, <az>.networks=a+b'),
  'zone-health-check-period': {
    ...durationFlag('How often each zone node\'s AZ (its CCI Networks) is checked; a failed check makes the node unschedulable until one passes', 60_000),
    accepted: 'a duration of at least 1s, such as 30s or 5m',
    parse: (raw: string) => {
      const ms = durationFlag('', 0).parse(raw);
      if (ms < 1000) throw new Error('below 1s');
      return ms;
    },
  },
  'service-cluster-ip-range': listFlag('The cluster\'s Service range(s), as kube-apiserver\'s flag: start-up refuses a CCI subnet that overlaps them', 'IPv4 CIDRs', (raw) => cidrFlag(raw)),
  'cluster-cidr': listFlag('The cluster\'s pod range(s), as kube-controller-manager\'s flag: start-up refuses a CCI subnet that overlaps them', 'IPv4 CIDRs', (raw) => cidrFlag(raw)),
  port: intFlag('Port of the kubelet API (HTTPS: logs, exec, attach, port-forward, stats), advertised in status.daemonEndpoints', 10250, 1, 65535),
  address: { ...stringFlag('Address the kubelet API listens on', '0.0.0.0', 'an IP address'), parse: ipAddress },
  'tls-cert-file': stringFlag('Serving certificate (PEM) of the kubelet API; empty = self-signed for the node name and --node-ip', '', 'a file path'),
  'tls-private-key-file': stringFlag('Private key (PEM) of --tls-cert-file', '', 'a file path'),
  'client-ca-file': stringFlag('CA bundle (PEM): client certificates it signed, and only those, authenticate to the kubelet API (the API server\'s kubelet client); without it no client certificate does', '', 'a file path'),
  'authentication-token-webhook': boolFlag('Authenticate bearer tokens on the kubelet API with TokenReview'),
  'anonymous-auth': boolFlag('Let requests without credentials in as system:anonymous (still authorized by SubjectAccessReview)'),
  'node-ip': { ...stringFlag('Address advertised as the node\'s InternalIP (and hostIP of its pods)', '127.0.0.1', 'an IP address'), parse: ipAddress },
  'hostname-override': stringFlag('A resolvable host name to list as the node\'s Hostname address (the API server dials Hostname before InternalIP); empty = none', '', 'a DNS name'),
  'pod-sync-workers': intFlag('Pods synced concurrently (CCI creations and deletions); pod status writes get as many workers of their own', 10, 1, 1000),
  'event-qps': intFlag(
    'Pod and node event writes a second, as the kubelet\'s --event-qps: in a burst of pods, creations and statuses reach the API server first and the events follow (0 = no limit)',
    50, 0, 100_000,
  ),
  'event-burst': intFlag('Event writes at once before --event-qps applies, as the kubelet\'s --event-burst', 100, 1, 100_000),
  'status-resync': durationFlag('Period of the full CCI relist and orphan sweep', 60_000),
  'node-status-update-frequency': durationFlag('How often CCI is checked and the node status recomputed', 10_000),
  'node-status-report-frequency': durationFlag('Longest time between node status writes when nothing changes', 60_000),
  'node-lease-renew-interval': durationFlag('How often the node Lease is renewed', 10_000),
  'node-lease-duration-seconds': intFlag('leaseDurationSeconds of the node Lease', 40, 1, 3600),
  'log-level': enumFlag<LevelWithSilent>('Log level', 'info', LOG_LEVELS),
  'heap-growing-percent': intFlag('How far the JavaScript heap may grow beyond its live data before a full garbage collection, in percent; 0 leaves it to V8, whose choice lets a burst of pod changes take twice the memory (README: Memory)', 30, 0, 1000),
  ...connectionFlags('the kubelet API (and, counted apart, the service directory)'),
  'metrics-addr': addressFlag('Prometheus metrics listener (plain HTTP, GET /metrics): pods by phase, sync durations, status write waits and durations, API requests, CCI errors', ':10255'),
  ...dnsFlags,
  ...networkFlags,
  ...policyFlags,
  ...leaderElectionFlags,
} as const;

export default defineSubcommand({
  name: 'node',
  summary: 'Register a virtual node and run its pods on CCI.',
  flags,
  async run(v) {
    // V8 reads its heap-growing factor at each collection, so setting it now takes effect.
    if (v['heap-growing-percent'] > 0) setFlagsFromString(`--heap-growing-percent=${v['heap-growing-percent']}`);
    if (v.nodename === '') throw new UsageError('burstlet node: --nodename is required; expected a DNS-1123 subdomain');
    if (v['cci-endpoint'] === '') throw new UsageError('burstlet node: --cci-endpoint is required; expected an http:// or https:// URL');
    if (v['cci-token-file'] === '') throw new UsageError('burstlet node: --cci-token-file is required; expected a file path');
    if ((v['tls-cert-file'] === '') !== (v['tls-private-key-file'] === '')) {
      throw new UsageError('burstlet node: --tls-cert-file and --tls-private-key-file go together; give both, or neither for a self-signed certificate');
    }
    if (v.rebalance && v['webhook-port'] === 0) throw new UsageError('burstlet node: --rebalance needs the policy on: give --webhook-port=<port> too');
    if (v['webhook-port'] !== 0 && (v['webhook-port'] === v.port || (v['enable-networking'] && !v['service-directory-tls'] && v['webhook-port'] === v['service-directory-port']))) {
      throw new UsageError(`burstlet node: --webhook-port=${v['webhook-port']} is already the port of the kubelet API or the service directory; give it a port of its own`);
    }
    for (const f of ['tls-cert-file', 'tls-private-key-file', 'client-ca-file'] as const) if (v[f] !== '') readSecretFile(f, v[f]);
    const election = leaderElectionConfig(v, v.nodename);
    const zoneProblems = parseZoneConfig(v['zone-nodes'], v.nodename).problems;
    if (zoneProblems.length > 0) throw new UsageError(`burstlet node: --zone-nodes: ${zoneProblems.join('; ')}`);
    const token = readSecretFile('cci-token-file', v['cci-token-file']);
    const ca = v['cci-ca-file'] === '' ? undefined : readSecretFile('cci-ca-file', v['cci-ca-file']);
    const log = createLogger(v['log-level'], 'burstlet-node');
    const cci = new CciClient({ endpoint: v['cci-endpoint'], token, namespace: v['cci-namespace'], ...(ca ? { ca } : {}), timeoutMs: 30_000 });
    await refuseUnusableNetworks(cci, { 'service-cluster-ip-range': v['service-cluster-ip-range'], 'cluster-cidr': v['cluster-cidr'] }, v['enable-networking'], log);
    const node = await startVirtualNode({
      kubeconfig: v.kubeconfig,
      ...(election
        ? {
          leaderElection: {
            ...election,
            // client-go's identity: the host (the pod's name in a Deployment) and a unique suffix.
            identity: `${hostname()}_${randomUUID()}`,
            onLost: () => {
              log.error({ lease: `${election.namespace}/${election.name}` }, 'leadership lost: exiting so that only the elected replica runs the node');
              process.exit(1);
            },
          },
        }
        : {}),
      cci,
      clusterId: v['cluster-id'],
      ...(v['enable-networking']
        ? {
          networking: {
            image: v['sidecar-image'], proxyMode: v['sidecar-proxy-mode'], directoryAddress: v['service-directory-address'] || v['node-ip'],
            directoryService: v['service-directory-service'],
            directoryPort: v['service-directory-port'], directoryTls: v['service-directory-tls'],
          },
        }
        : {}),
      node: { name: v.nodename, labels: v['node-labels'], virtualLabels: v['virtual-node-labels'], taints: v['node-taints'], zone: v.zone, nodeIP: v['node-ip'], hostname: v['hostname-override'], kubeletPort: v.port },
      translateNode: {
        name: v.nodename,
        clusterDomain: v['cluster-domain'],
        clusterDNS: v['cluster-dns'],
        hostResolvConf: await loadHostResolvConf(v['resolv-conf']),
        overflow: v['dns-nameserver-overflow'],
      },
      kubelet: {
        address: v.address,
        tlsCertFile: v['tls-cert-file'],
        tlsKeyFile: v['tls-private-key-file'],
        clientCaFile: v['client-ca-file'],
        anonymousAuth: v['anonymous-auth'],
        webhookTokens: v['authentication-token-webhook'],
      },
      connectionLimits: connectionLimits(v),
      ...(v['webhook-port'] !== 0
        ? {
          policy: {
            port: v['webhook-port'],
            identity: {
              namespace: v['webhook-service'].namespace,
              service: v['webhook-service'].name,
              secretName: `${v['webhook-service'].name}-tls`,
              extraHosts: v['webhook-hosts'],
              configurationName: v['webhook-configuration'],
            },
            rebalance: { enabled: v.rebalance, intervalMs: v['rebalance-interval'] },
          },
        }
        : {}),
      ...(v['zone-config-map'] !== '' || Object.keys(v['zone-nodes']).length > 0
        ? {
          zones: {
            configMap: v['zone-config-map'] === '' ? undefined : { namespace: v['zone-config-map'].split('/')[0]!, name: v['zone-config-map'].split('/')[1]! },
            flagZones: v['zone-nodes'],
            healthPeriodMs: v['zone-health-check-period'],
          },
        }
        : {}),
      podSyncWorkers: v['pod-sync-workers'],
      eventQps: v['event-qps'],
      eventBurst: v['event-burst'],
      statusResyncMs: v['status-resync'],
      nodeStatusUpdateMs: v['node-status-update-frequency'],
      nodeStatusReportMs: v['node-status-report-frequency'],
      leaseRenewMs: v['node-lease-renew-interval'],
      leaseDurationSeconds: v['node-lease-duration-seconds'],
      metricsAddr: v['metrics-addr'],
      log,
    });
    exitOnSignals(() => node.stop(), log);
    // Ready lines for scripts and tests (stdout; logs go to stderr).
    const extras = [
      ...(node.metricsPort !== undefined ? [`metrics=http://127.0.0.1:${node.metricsPort}/metrics`] : []),
      ...(node.webhookPort !== undefined ? [`webhook=https://${v['node-ip']}:${node.webhookPort}/mutate`] : []),
    ].map((e) => ` ${e}`).join('');
    if (election) console.log(`burstlet node ${v.nodename} standby lease=${election.namespace}/${election.name}${extras}`);
    const { kubeletPort } = await node.leading;
    console.log(`burstlet node ${v.nodename} running kubelet=https://${v['node-ip']}:${kubeletPort}${extras}`);
  },
});

function cidrFlag(raw: string): string {
  return parseCidr(raw).cidr;
}

/** Exits 2 when a CCI Network cannot serve the cluster; CCI not answering yet is left to the node's status. */
async function refuseUnusableNetworks(cci: CciClient, ranges: ClusterRanges, networking: boolean, log: Logger): Promise<void> {
  let networks: CciNetwork[];
  try {
    networks = await cci.networks();
  } catch (err) {
    log.warn({ err: errorMessage(err) }, 'CCI Networks not read at start-up: their subnets are not checked against the cluster\'s ranges');
    return;
  }
  const problem = unusableNetwork(networks, ranges, networking);
  if (problem) throw new UsageError(`burstlet node: ${problem}`);
}
