// events.k8s.io/v1 Events are stored as core/v1 Events, as in kube-apiserver, so an event a
// controller records through either API shows in `kubectl describe` and in both APIs.
// Pure field mappings (k8s.io/kubernetes/pkg/apis/events/v1 conversion).
import type { KubeObject } from './store.ts';

/** [events.k8s.io/v1 field, core/v1 field] */
const RENAMES: [string, string][] = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
];

function rename(o: KubeObject, from: 0 | 1, apiVersion: string): KubeObject {
  const out: KubeObject = { ...o, apiVersion, kind: 'Event' };
  for (const pair of RENAMES) {
    const src = pair[from];
    const dst = pair[1 - from]!;
    delete out[src];
    if (o[src] !== undefined) out[dst] = o[src];
  }
  return out;
}

export function eventToCore(o: KubeObject): KubeObject {
  return rename(o, 0, 'v1');
}

/** events.k8s.io/v1's reporting fields are omitempty, where core/v1's are not. */
const OMITTED_WHEN_EMPTY = ['reportingController', 'reportingInstance'];

export function eventFromCore(o: KubeObject): KubeObject {
  const out = rename(o, 1, 'events.k8s.io/v1');
  for (const k of OMITTED_WHEN_EMPTY) if (out[k] === '') delete out[k];
  return out;
}

/** Field selectors of events.k8s.io/v1 in terms of the stored core fields. */
export function eventFieldSelectorToCore(selector: string): string {
  return selector.replace(/(^|,)\s*regarding\./g, '$1involvedObject.').replace(/(^|,)\s*reportingController(?=\s*!?=)/g, '$1reportingComponent');
}
