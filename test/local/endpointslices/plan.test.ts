import { describe, expect, it } from 'vitest';
import type { V1EndpointSlice, V1Pod, V1Service } from '@kubernetes/client-node';
import { desiredSlices } from '../../../src/local/endpointslices/desired.ts';
import { planSlices } from '../../../src/local/endpointslices/plan.ts';

const svc: V1Service = { metadata: { name: 'web', namespace: 'default', uid: 'u' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } };
const pod = (name: string, ip: string, ready = true): V1Pod => ({
  metadata: { name, namespace: 'default', uid: name, labels: { app: 'web' } },
  spec: { containers: [] },
  status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
/** What the API server hands back: a name and resourceVersion, generateName kept. */
const stored = (slices: V1EndpointSlice[]): V1EndpointSlice[] =>
  slices.map((s, i) => ({ ...s, metadata: { ...s.metadata, name: `web-${i}`, resourceVersion: `${10 + i}` } }));

describe('planSlices', () => {
  it('creates what is missing', () => {
    const plan = planSlices(desiredSlices(svc, [pod('a', '198.18.0.5')]), []);
    expect([plan.create.length, plan.update.length, plan.delete.length]).toEqual([1, 0, 0]);
  });

  it('writes nothing when nothing changed', () => {
    const pods = [pod('a', '198.18.0.5'), pod('b', '198.18.0.6')];
    const existing = stored(desiredSlices(svc, pods));
    expect(planSlices(desiredSlices(svc, pods), existing)).toEqual({ create: [], update: [], delete: [] });
  });

  it('updates in place, keeping name and resourceVersion, when readiness flips', () => {
    const existing = stored(desiredSlices(svc, [pod('a', '198.18.0.5')]));
    const plan = planSlices(desiredSlices(svc, [pod('a', '198.18.0.5', false)]), existing);
    expect(plan.create).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(plan.update).toHaveLength(1);
    expect(plan.update[0]!.metadata).toMatchObject({ name: 'web-0', resourceVersion: '10' });
    expect(plan.update[0]!.endpoints![0]!.conditions!.ready).toBe(false);
  });

  it('reuses a slice in place when the ports change', () => {
    const existing = stored(desiredSlices(svc, [pod('a', '198.18.0.5')]));
    const moved = { ...svc, spec: { ...svc.spec, ports: [{ port: 80, targetPort: 9090 }] } };
    const plan = planSlices(desiredSlices(moved, [pod('a', '198.18.0.5')]), existing);
    expect(plan.update.map((s) => [s.metadata!.name, s.ports![0]!.port])).toEqual([['web-0', 9090]]);
    expect(plan.create.length + plan.delete.length).toBe(0);
  });

  it('deletes the surplus when endpoints shrink', () => {
    const many = Array.from({ length: 150 }, (_, i) => pod(`p${String(i).padStart(3, '0')}`, `198.18.1.${i}`));
    const existing = stored(desiredSlices(svc, many));
    const plan = planSlices(desiredSlices(svc, many.slice(0, 100)), existing);
    expect(plan.update).toEqual([]);
    expect(plan.delete.map((s) => s.metadata!.name)).toEqual(['web-1']);
  });

  it('deletes everything when the service stops being managed', () => {
    const existing = stored(desiredSlices(svc, [pod('a', '198.18.0.5')]));
    expect(planSlices([], existing).delete).toHaveLength(1);
  });
});
