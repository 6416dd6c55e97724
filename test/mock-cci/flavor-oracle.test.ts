// The mock's admission states CCI's flavor rules on its own (src/mock-cci/flavors.ts), so it is
// an oracle for the translator: here the translator's rounding gets a bug, and the mock
// refuses what it then sends. Were the mock to share the translator's table, the bug would
// reach it too and the pod would pass.
import { describe, expect, it, vi } from 'vitest';
import type { Flavor, FlavorResult } from '../../src/cci/flavor.ts';
import { translatePod } from '../../src/cci-provider/translate/translate-pod.ts';
import { validatePod } from '../../src/mock-cci/admission.ts';
import { container, input, pod } from '../cci-provider/translate/fixtures.ts';

const GiB = 2n ** 30n;
const bug = vi.hoisted(() => ({ on: false }));

// A typo in the table: the 0.25 vCPU row allowing 4 GiB.
vi.mock('../../src/cci/flavor.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/cci/flavor.ts')>();
  return {
    ...real,
    roundToFlavor: (size: Flavor): FlavorResult =>
      bug.on && size.cpuMilli <= 250n && size.memoryBytes > 2n * GiB && size.memoryBytes <= 4n * GiB
        ? { ok: true, cpu: '250m', memory: '4Gi', flavor: { cpuMilli: 250n, memoryBytes: 4n * GiB } }
        : real.roundToFlavor(size),
  };
});

function translated(cpu: string, memory: string) {
  const result = translatePod(input(pod({ containers: [container({ resources: { requests: { cpu, memory } } })] })));
  if (!result.ok) throw new Error(result.message);
  return result.pod;
}

describe('the mock as an oracle of the translator\'s flavors', () => {
  it('accepts what the translator sends for every size on a grid (the two statements agree)', () => {
    for (const cpu of ['100m', '250m', '300m', '500m', '1', '1500m', '2', '3', '4', '7', '8', '12', '16', '20', '32', '40', '48', '64']) {
      for (const memory of ['128Mi', '512Mi', '1Gi', '1500Mi', '3Gi', '5Gi', '9Gi', '17Gi', '33Gi', '65Gi', '100Gi', '129Gi', '200Gi', '300Gi', '500Gi']) {
        let cciPod;
        try {
          cciPod = translated(cpu, memory);
        } catch {
          continue; // larger than any flavor: the translator refuses it itself
        }
        expect([cpu, memory, validatePod(cciPod)]).toEqual([cpu, memory, []]);
      }
    }
  });

  it('refuses what a translator with a flavor bug sends', () => {
    expect(validatePod(translated('250m', '3Gi'))).toEqual([]);
    bug.on = true;
    try {
      const sent = translated('250m', '3Gi');
      expect(sent.metadata.annotations).toMatchObject({ 'burstlet.io/flavor-cpu': '250m', 'burstlet.io/flavor-memory': '4Gi' });
      expect(validatePod(sent)).toEqual([
        'metadata.annotations[burstlet.io/flavor-cpu, burstlet.io/flavor-memory]: Invalid value: "250m", "4Gi": ' +
          'the pod needs 250m CPU / 3Gi memory, which CCI runs on the 500m CPU / 3Gi memory flavor',
      ]);
    } finally {
      bug.on = false;
    }
  });
});
