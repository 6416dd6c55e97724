// Where the policy posts its events: the virtual node's EventRecorder fits (it is handed in by
// the composition, which keeps this folder clear of the provider's).
export interface EventTargetRef {
  kind: 'Pod' | 'Node';
  namespace: string;
  name: string;
  uid: string;
}

export interface EventSink {
  record(target: EventTargetRef, type: 'Normal' | 'Warning', reason: string, message: string): void;
}
