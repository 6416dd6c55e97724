// A whole mock CCI: runtime, IPAM, store, pod service and HTTP server, started and stopped
// as one. Used by `burstlet mock-cci` and by tests that want the mock in-process.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../log/logger.ts';
import type { ConnectionLimits } from '../net/connection-guard.ts';
import { cpuMillis, memoryBytes } from '../kube/quantity.ts';
import { defaultBackoff } from './runtime/backoff.ts';
import { Runtime, type RuntimeMode } from './runtime/runtime.ts';
import { FaultInjector, type FaultOptions } from './faults.ts';
import { MockNetworks, type NetworkSpec } from './networks.ts';
import { PodService } from './pods.ts';
import { buildMockServer } from './server.ts';
import { PodStore } from './store.ts';

export interface MockCciOptions {
  address: string;
  port: number;
  token: string;
  namespace: string;
  /** The namespace's Networks, the default first. */
  networks: NetworkSpec[];
  /** Ranges the Networks' pods may reach through the host besides each other (the VPC's other hosts). */
  vpcCidrs?: string[];
  /** The Networks are of a shared VPC (burstlet node refuses --enable-networking there). */
  sharedVpc?: boolean;
  quota: { cpu: string; memory: string; pods: number; ephemeralStorage: string };
  runtime: RuntimeMode;
  /** Empty: a temporary directory, removed at stop. */
  stateDir: string;
  crashLoopBaseMs: number;
  faults: FaultOptions;
  limits?: ConnectionLimits;
  log: Logger;
}

export interface MockCci {
  url: string;
  close(): Promise<void>;
}

/** The tag naming an instance's host objects (its bridge is blbr-<tag>), from its absolute state directory. */
export function instanceTag(stateDir: string): string {
  return createHash('sha256').update(stateDir).digest('hex').slice(0, 6);
}

export async function startMockCci(opts: MockCciOptions): Promise<MockCci> {
  const networks = new MockNetworks(opts.networks, opts.sharedVpc);
  const ownDir = opts.stateDir === '';
  const stateDir = ownDir ? await mkdtemp(path.join(os.tmpdir(), 'burstlet-mock-cci-')) : path.resolve(opts.stateDir);
  await mkdir(stateDir, { recursive: true });
  const tag = instanceTag(stateDir);
  const runtime = await Runtime.start({
    mode: opts.runtime,
    stateDir,
    tag,
    networks: networks.subnets,
    vpcCidrs: opts.vpcCidrs ?? [],
    backoff: defaultBackoff(opts.crashLoopBaseMs),
    log: opts.log,
  });
  const store = new PodStore();
  const hard = {
    cpuMilli: cpuMillis(opts.quota.cpu),
    memoryBytes: memoryBytes(opts.quota.memory),
    pods: BigInt(opts.quota.pods),
    ephemeralBytes: memoryBytes(opts.quota.ephemeralStorage),
  };
  const pods = new PodService({ namespace: opts.namespace, hard, store, networks, runtime, log: opts.log });
  const app = buildMockServer({ token: opts.token, namespace: opts.namespace, store, pods, networks, faults: new FaultInjector(opts.faults), log: opts.log,
    ...(opts.limits ? { limits: opts.limits } : {}),
  });
  let address: string;
  try {
    address = await app.listen({ host: opts.address, port: opts.port });
  } catch (err) {
    await runtime.stop();
    throw err;
  }
  let closing: Promise<void> | null = null;
  return {
    url: address,
    close() {
      closing ??= (async () => {
        // Open watches and log follows would keep close() waiting: end them.
        app.server.closeAllConnections();
        await Promise.all([app.close(), runtime.stop()]);
        if (ownDir) await rm(stateDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
