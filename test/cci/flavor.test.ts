import { describe, expect, it } from 'vitest';
import { FLAVORS, podSize, roundToFlavor } from '../../src/cci/flavor.ts';
import { cpuMillis, memoryBytes } from '../../src/kube/quantity.ts';

const c = (limits?: Record<string, string>, requests?: Record<string, string>) => ({ resources: { limits, requests } });
const size = (cpu: string, mem: string) => ({ cpuMilli: cpuMillis(cpu), memoryBytes: memoryBytes(mem) });

describe('FLAVORS', () => {
  it('has the CCI 2.0 table: counts per vCPU', () => {
    const perCpu = new Map<bigint, number>();
    for (const f of FLAVORS) perCpu.set(f.cpuMilli, (perCpu.get(f.cpuMilli) ?? 0) + 1);
    expect(Object.fromEntries([...perCpu].map(([k, v]) => [String(k), v]))).toEqual({
      250: 3, 500: 5, 1000: 8, 2000: 15, 4000: 29, 8000: 15, 16000: 15, 32000: 4, 48000: 3, 64000: 3,
    });
  });
});

describe('podSize', () => {
  it.each([
    ['limit wins over request', [c({ cpu: '1', memory: '1Gi' }, { cpu: '500m', memory: '512Mi' })], [], '1', '1Gi'],
    ['request when no limit', [c(undefined, { cpu: '300m', memory: '300Mi' })], [], '300m', '300Mi'],
    ['defaults when neither', [{}], [], '250m', '512Mi'],
    ['defaults per resource', [c({ cpu: '2' })], [], '2', '512Mi'],
    ['app containers sum', [c({ cpu: '1', memory: '1Gi' }), c({ cpu: '1500m', memory: '2Gi' })], [], '2500m', '3Gi'],
    ['largest init wins when bigger', [c({ cpu: '1', memory: '1Gi' })], [c({ cpu: '3', memory: '512Mi' }), c({ cpu: '2', memory: '6Gi' })], '3', '6Gi'],
    ['sum wins when bigger than init', [c({ cpu: '1', memory: '1Gi' }), c({ cpu: '1', memory: '1Gi' })], [c({ cpu: '1', memory: '1Gi' })], '2', '2Gi'],
  ])('%s', (_name, containers, inits, cpu, mem) => {
    expect(podSize(containers, inits)).toEqual(size(cpu, mem));
  });
});

describe('roundToFlavor', () => {
  it.each([
    ['250m', '512Mi', '250m', '512Mi'],
    ['100m', '100Mi', '250m', '512Mi'],
    ['250m', '600Mi', '250m', '1Gi'],
    ['250m', '3Gi', '500m', '3Gi'],
    ['500m', '2500Mi', '500m', '3Gi'],
    ['500m', '5Gi', '1', '5Gi'],
    ['1', '1Gi', '1', '1Gi'],
    ['1', '8.5Gi', '2', '9Gi'],
    ['1001m', '1Gi', '2', '2Gi'],
    ['6', '15Gi', '8', '16Gi'], // CCI's own documented example
    ['8', '65Gi', '16', '72Gi'],
    ['16', '129Gi', '32', '256Gi'],
    ['33', '1Gi', '48', '96Gi'],
    ['64', '512Gi', '64', '512Gi'],
    ['49', '100Gi', '64', '128Gi'],
  ])('%s CPU %s → %s / %s', (cpu, mem, wantCpu, wantMem) => {
    const r = roundToFlavor(size(cpu, mem));
    expect(r).toMatchObject({ ok: true, cpu: wantCpu, memory: wantMem });
  });

  it.each([['65', '1Gi'], ['1', '513Gi'], ['64', '600Gi']])('refuses %s CPU %s naming the largest flavor', (cpu, mem) => {
    const r = roundToFlavor(size(cpu, mem));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain('largest CCI 2.0 flavor (64 CPU / 512Gi memory)');
  });
});
