import { describe, expect, it } from 'vitest';
import { eventFieldSelectorToCore, eventFromCore, eventToCore } from '../../../src/local/apiserver/event-conversion.ts';

const v1 = {
  apiVersion: 'events.k8s.io/v1',
  kind: 'Event',
  metadata: { name: 'e', namespace: 'ns' },
  regarding: { kind: 'Pod', name: 'p', namespace: 'ns' },
  note: 'no nodes available',
  reason: 'FailedScheduling',
  type: 'Warning',
  action: 'Scheduling',
  reportingController: 'default-scheduler',
  reportingInstance: 'sched-1',
  eventTime: '2026-01-01T00:00:00.000000Z',
  deprecatedCount: 3,
};

const core = {
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: 'e', namespace: 'ns' },
  involvedObject: { kind: 'Pod', name: 'p', namespace: 'ns' },
  message: 'no nodes available',
  reason: 'FailedScheduling',
  type: 'Warning',
  action: 'Scheduling',
  reportingComponent: 'default-scheduler',
  reportingInstance: 'sched-1',
  eventTime: '2026-01-01T00:00:00.000000Z',
  count: 3,
};

describe('events.k8s.io/v1 ↔ core/v1', () => {
  it('maps fields both ways', () => {
    expect(eventToCore(v1)).toEqual(core);
    expect(eventFromCore(core)).toEqual(v1);
  });

  it.each([
    ['regarding.name=p,regarding.namespace=ns', 'involvedObject.name=p,involvedObject.namespace=ns'],
    ['reportingController=default-scheduler,type=Warning', 'reportingComponent=default-scheduler,type=Warning'],
    ['reason!=Pulled', 'reason!=Pulled'],
  ])('field selector %s', (given, expected) => {
    expect(eventFieldSelectorToCore(given)).toBe(expected);
  });
});
