// CCI 2.0's pod flavors as CCI states them (DESIGN.md, "CCI resources"), written out here on
// purpose apart from the translator's table (src/cci/flavor.ts): the mock checks what burstlet
// sends against its own statement of the rules, so a translator flavor bug is refused, not
// copied. A pod's size per resource is the larger of its app containers' sum and its largest
// init container; a container's limit wins over its request, and one stating neither counts
// CCI's minimum, 0.25 vCPU and 0.5 GiB. The pod runs on the smallest flavor that holds it.
import type { CciContainer, CciPod } from '../cci/types.ts';
import { cpuMillis, memoryBytes } from '../kube/quantity.ts';

const MiB = 2n ** 20n;

/** vCPUs (in millicores) → the memory sizes (MiB) CCI offers with them, smallest first. */
const FLAVOR_MEMORY_MIB: readonly [milli: bigint, mib: readonly number[]][] = [
  [250n, [512, 1024, 2048]],
  [500n, [512, 1024, 2048, 3072, 4096]],
  [1000n, [1024, 2048, 3072, 4096, 5120, 6144, 7168, 8192]],
  [2000n, [2048, 3072, 4096, 5120, 6144, 7168, 8192, 9216, 10240, 11264, 12288, 13312, 14336, 15360, 16384]],
  [4000n, [4096, 5120, 6144, 7168, 8192, 9216, 10240, 11264, 12288, 13312, 14336, 15360, 16384, 17408, 18432, 19456, 20480,
    21504, 22528, 23552, 24576, 25600, 26624, 27648, 28672, 29696, 30720, 31744, 32768]],
  [8000n, [8192, 12288, 16384, 20480, 24576, 28672, 32768, 36864, 40960, 45056, 49152, 53248, 57344, 61440, 65536]],
  [16000n, [16384, 24576, 32768, 40960, 49152, 57344, 65536, 73728, 81920, 90112, 98304, 106496, 114688, 122880, 131072]],
  [32000n, [32768, 65536, 131072, 262144]],
  [48000n, [98304, 196608, 393216]],
  [64000n, [131072, 262144, 524288]],
];

export interface Size {
  cpuMilli: bigint;
  memoryBytes: bigint;
}

function containerSize(c: CciContainer): Size {
  const of = (resource: string, fallback: string): string => c.resources?.limits?.[resource] ?? c.resources?.requests?.[resource] ?? fallback;
  return { cpuMilli: cpuMillis(of('cpu', '250m')), memoryBytes: memoryBytes(of('memory', '512Mi')) };
}

/** The pod's size as CCI computes it. */
export function cciPodSize(pod: CciPod): Size {
  let cpuMilli = 0n;
  let mem = 0n;
  for (const c of pod.spec.containers) {
    const s = containerSize(c);
    cpuMilli += s.cpuMilli;
    mem += s.memoryBytes;
  }
  for (const c of pod.spec.initContainers ?? []) {
    const s = containerSize(c);
    if (s.cpuMilli > cpuMilli) cpuMilli = s.cpuMilli;
    if (s.memoryBytes > mem) mem = s.memoryBytes;
  }
  return { cpuMilli, memoryBytes: mem };
}

/** The smallest flavor (fewest vCPUs, then least memory) that holds `size`, if any does. */
export function cciFlavor(size: Size): Size | undefined {
  for (const [cpuMilli, mibs] of FLAVOR_MEMORY_MIB) {
    if (cpuMilli < size.cpuMilli) continue;
    const mib = mibs.find((m) => BigInt(m) * MiB >= size.memoryBytes);
    if (mib !== undefined) return { cpuMilli, memoryBytes: BigInt(mib) * MiB };
  }
  return undefined;
}
