// CCI 2.0 pod flavors: a pod runs on one of a fixed set of vCPU/memory sizes, so burstlet
// computes the pod's effective size and rounds it up to the smallest flavor that holds it.
// Table from CCI 2.0 "Upgrading Pod Flavors" (0.5 vCPU allows 0.5, 1, 2, 3 and 4 GiB).
import type { V1Container } from '@kubernetes/client-node';
import type { CciContainer } from './types.ts';
import { cpuMillis, formatCpu, formatMemory, memoryBytes } from '../kube/quantity.ts';

const GiB = 1024n ** 3n;

export interface Flavor {
  cpuMilli: bigint;
  memoryBytes: bigint;
}

function range(fromGiB: number, toGiB: number, stepGiB: number): number[] {
  const out: number[] = [];
  for (let g = fromGiB; g <= toGiB; g += stepGiB) out.push(g);
  return out;
}

const TABLE: [cpu: number, memoryGiB: number[]][] = [
  [0.25, [0.5, 1, 2]],
  [0.5, [0.5, 1, 2, 3, 4]],
  [1, range(1, 8, 1)],
  [2, range(2, 16, 1)],
  [4, range(4, 32, 1)],
  [8, range(8, 64, 4)],
  [16, range(16, 128, 8)],
  [32, [32, 64, 128, 256]],
  [48, [96, 192, 384]],
  [64, [128, 256, 512]],
];

/** Every flavor, ordered by vCPU then memory: the first that fits is the cheapest fit. */
export const FLAVORS: readonly Flavor[] = TABLE.flatMap(([cpu, mems]) =>
  mems.map((g) => ({ cpuMilli: BigInt(cpu * 1000), memoryBytes: (BigInt(g * 2) * GiB) / 2n })),
);

/**
 * What a container that states neither a request nor a limit for a resource counts as.
 * CCI's own minimum container is 0.25 vCPU; 512Mi is the smallest flavor's memory.
 */
export const DEFAULT_CONTAINER_CPU = '250m';
export const DEFAULT_CONTAINER_MEMORY = '512Mi';

export type Sized = Pick<V1Container, 'resources'> | Pick<CciContainer, 'resources'>;

export type SizeSource = 'limit' | 'request' | 'default';

/** What a container counts as for one resource, and why: its limit when set, else its request, else the documented default. */
export function sizeSource(c: Sized, resource: 'cpu' | 'memory'): { quantity: string; from: SizeSource } {
  const limit = c.resources?.limits?.[resource];
  if (limit !== undefined) return { quantity: limit, from: 'limit' };
  const request = c.resources?.requests?.[resource];
  if (request !== undefined) return { quantity: request, from: 'request' };
  return { quantity: resource === 'cpu' ? DEFAULT_CONTAINER_CPU : DEFAULT_CONTAINER_MEMORY, from: 'default' };
}

/** One container's size: its limit when set, else its request, else the documented default. */
export function containerSize(c: Sized): Flavor {
  return {
    cpuMilli: cpuMillis(sizeSource(c, 'cpu').quantity),
    memoryBytes: memoryBytes(sizeSource(c, 'memory').quantity),
  };
}

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/** Pod size per resource = max(sum of app containers, largest init container), as CCI computes it. */
export function podSize(containers: readonly Sized[], initContainers: readonly Sized[] = []): Flavor {
  const sum = containers.map(containerSize).reduce(
    (a, b) => ({ cpuMilli: a.cpuMilli + b.cpuMilli, memoryBytes: a.memoryBytes + b.memoryBytes }),
    { cpuMilli: 0n, memoryBytes: 0n },
  );
  return initContainers.map(containerSize).reduce(
    (a, b) => ({ cpuMilli: max(a.cpuMilli, b.cpuMilli), memoryBytes: max(a.memoryBytes, b.memoryBytes) }),
    sum,
  );
}

export type FlavorResult =
  | { ok: true; cpu: string; memory: string; flavor: Flavor }
  | { ok: false; message: string };

const describe = (f: Flavor): string => `${formatCpu(f.cpuMilli)} CPU / ${formatMemory(f.memoryBytes)} memory`;

/** Rounds a size up to the smallest flavor (fewest vCPUs, then least memory) that holds it. */
export function roundToFlavor(size: Flavor): FlavorResult {
  const fit = FLAVORS.find((f) => f.cpuMilli >= size.cpuMilli && f.memoryBytes >= size.memoryBytes);
  if (fit) return { ok: true, cpu: formatCpu(fit.cpuMilli), memory: formatMemory(fit.memoryBytes), flavor: fit };
  // The table's last flavor is the largest in both resources.
  return {
    ok: false,
    message:
      `the pod needs ${describe(size)}, more than the largest CCI 2.0 flavor (${describe(FLAVORS.at(-1)!)}); ` +
      `lower the containers' requests/limits or keep this pod off the virtual node`,
  };
}
