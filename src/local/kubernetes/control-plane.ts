// The local environment's control plane made of the real components (e2e/kubernetes's
// kube-testbed binary): etcd, kube-apiserver, kube-controller-manager, kube-scheduler, CoreDNS
// behind the kube-dns Service, and metrics-server behind the metrics.k8s.io APIService. Each is a
// child process with its own log file under <state-dir>/kubernetes/logs; the cluster is new
// each run (etcd's data is removed at start), as the embedded plane's memory is.
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import type { Logger } from '../../log/logger.ts';
import { spawnManaged, type ManagedProcess } from '../child.ts';
import { registerKubeDnsService } from '../dns/kube-dns-service.ts';
import { freePort } from '../free-port.ts';
import { createAddonObjects } from './addons.ts';
import { createKubernetesPki, type KubernetesPki } from './certs.ts';
import {
  apiserverArgs, auditPolicy, controllerManagerArgs, corednsArgs, corefile, etcdArgs, metricsServerArgs, schedulerArgs, type Layout, type Ports,
} from './component-flags.ts';

export interface KubernetesControlPlaneOptions {
  /** The kube-testbed binary (testbed-binary.ts finds it). */
  binary: string;
  stateDir: string;
  host: string;
  /** The API server's port; 0 picks a free one. */
  port: number;
  logger: Logger;
  /** Where CoreDNS listens (port 0: a free one); pods reach it through the kube-dns Service. */
  dns: { host: string; port: number };
}

export interface KubernetesControlPlane {
  url: string;
  /** The admin kubeconfig (system:masters). */
  kubeconfigPath: string;
  pki: KubernetesPki;
  auditLogFile: string;
  logDir: string;
  dns: { host: string; port: number };
  close(): Promise<void>;
}

const READY_TIMEOUT_MS = 120_000;

/** Polls `probe` until it resolves true; fails early, with the log's tail, if the process exits. */
async function waitReady(name: string, proc: ManagedProcess, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
      throw new Error(`${name} exited (${proc.child.signalCode ?? proc.child.exitCode}) before it was ready:\n${proc.logs().slice(-4000)}`);
    }
    if (await probe().catch(() => false)) return;
    await sleep(250);
  }
  throw new Error(`${name} not ready in ${READY_TIMEOUT_MS / 1000} s:\n${proc.logs().slice(-4000)}`);
}

/** GET `url` → 200? (with the admin certificate for the API server; components' own certs are not checked). */
async function ok(url: string, dispatcher?: Agent): Promise<boolean> {
  const res = await request(url, { dispatcher, headersTimeout: 5_000, bodyTimeout: 5_000 });
  await res.body.dump();
  return res.statusCode === 200;
}

export async function startKubernetesControlPlane(opts: KubernetesControlPlaneOptions): Promise<KubernetesControlPlane> {
  const base = join(opts.stateDir, 'kubernetes');
  const logDir = join(base, 'logs');
  const etcdDataDir = join(base, 'etcd');
  await rm(etcdDataDir, { recursive: true, force: true });
  await mkdir(logDir, { recursive: true });
  const free = async (fixed = 0): Promise<number> => (fixed !== 0 ? fixed : freePort());
  const ports: Ports = {
    etcdClient: await free(),
    etcdPeer: await free(),
    apiserver: await free(opts.port),
    controllerManager: await free(),
    scheduler: await free(),
    metricsServer: await free(),
    dns: await free(opts.dns.port),
    dnsHealth: await free(),
    dnsReady: await free(),
  };
  const url = `https://${isIP(opts.host) === 6 ? `[${opts.host}]` : opts.host}:${ports.apiserver}`;
  const pki = await createKubernetesPki(opts.stateDir, url, [opts.host]);
  const layout: Layout = {
    host: opts.host,
    ports,
    pki,
    etcdDataDir,
    auditPolicyFile: join(base, 'audit-policy.yaml'),
    auditLogFile: join(logDir, 'audit.log'),
    corefile: join(base, 'Corefile'),
  };
  await writeFile(layout.auditPolicyFile, auditPolicy());
  await writeFile(layout.corefile, corefile(layout, opts.dns.host));

  const stops: (() => Promise<void>)[] = [];
  const logs: WriteStream[] = [];
  const start = (name: string, args: string[]): ManagedProcess => {
    const log = createWriteStream(join(logDir, `${name}.log`));
    logs.push(log);
    const proc = spawnManaged(opts.binary, [name, ...args], { onStderr: (d) => log.write(d) });
    proc.child.stdout!.on('data', (d: Buffer) => log.write(d));
    stops.push(() => proc.stop());
    opts.logger.info({ component: name, pid: proc.pid }, 'started');
    return proc;
  };
  const close = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) await stop().catch((err: unknown) => opts.logger.error({ err }, 'stopping failed'));
    await Promise.all(logs.splice(0).map((l) => new Promise((r) => l.end(r))));
  };
  const admin = new Agent({ connect: { ca: pki.pki.caPem, cert: pki.pki.admin.certPem, key: pki.pki.admin.keyPem } });
  const insecure = new Agent({ connect: { rejectUnauthorized: false } });
  try {
    const etcd = start('etcd', etcdArgs(layout));
    await waitReady('etcd', etcd, () => ok(`http://127.0.0.1:${ports.etcdClient}/health`));
    const apiserver = start('kube-apiserver', apiserverArgs(layout));
    await waitReady('kube-apiserver', apiserver, () => ok(`${url}/readyz`, admin));
    const kcm = start('kube-controller-manager', controllerManagerArgs(layout));
    const scheduler = start('kube-scheduler', schedulerArgs(layout));
    await waitReady('kube-controller-manager', kcm, () => ok(`https://127.0.0.1:${ports.controllerManager}/healthz`, insecure));
    await waitReady('kube-scheduler', scheduler, () => ok(`https://127.0.0.1:${ports.scheduler}/healthz`, insecure));
    // Pods are refused until the ServiceAccount controller has made the namespace's "default"
    // (ServiceAccount admission): a cluster is ready for users once it has.
    await waitReady('the default ServiceAccount', kcm, () => ok(`${url}/api/v1/namespaces/default/serviceaccounts/default`, admin));

    await createAddonObjects(pki.adminKubeconfig, ports.metricsServer, pki.pki.caPem);
    // Validation refuses loopback endpoint addresses: with DNS on loopback (the process runtime,
    // where pods share the host's network and cannot use the ClusterIP anyway) the Service stays
    // without endpoints.
    await registerKubeDnsService({ kubeconfigPath: pki.adminKubeconfig, ...(opts.dns.host.startsWith('127.') ? {} : { endpointIP: opts.dns.host, endpointPort: ports.dns }) });
    const coredns = start('coredns', corednsArgs(layout));
    await waitReady('coredns', coredns, () => ok(`http://127.0.0.1:${ports.dnsReady}/ready`));
    const metricsServer = start('metrics-server', metricsServerArgs(layout));
    // Its /readyz waits for a first scrape of every node; the nodes start after the control plane.
    await waitReady('metrics-server', metricsServer, () => ok(`https://127.0.0.1:${ports.metricsServer}/livez`, insecure));
    return { url, kubeconfigPath: pki.adminKubeconfig, pki, auditLogFile: layout.auditLogFile, logDir, dns: { host: opts.dns.host, port: ports.dns }, close };
  } catch (err) {
    await close();
    throw err;
  } finally {
    await admin.close();
    await insecure.close();
  }
}
