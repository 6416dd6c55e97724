// The kubelet's per-container events, derived from the container statuses a provider reports.
// Providers report states, not image pulls (CCI pulls images itself), so burstlet cannot
// honestly say when a pull happened: no Pulling/Pulled. A container instance seen for the first time (first start, or
// restartCount grew) yields Created and Started; entering CrashLoopBackOff yields BackOff.
import type { ContainerStatus } from '../../kube/wire.ts';

export interface ContainerEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** spec.containers{name} or spec.initContainers{name} */
  fieldPath: string;
}

function started(s: ContainerStatus | undefined): boolean {
  return Boolean(s?.state?.running || s?.state?.terminated);
}

export function containerEvents(
  before: readonly ContainerStatus[] | undefined,
  after: readonly ContainerStatus[] | undefined,
  field: 'containers' | 'initContainers',
): ContainerEvent[] {
  const events: ContainerEvent[] = [];
  for (const now of after ?? []) {
    const was = before?.find((s) => s.name === now.name);
    const fieldPath = `spec.${field}{${now.name}}`;
    const newInstance = started(now) && (!started(was) || (now.restartCount ?? 0) > (was?.restartCount ?? 0));
    if (newInstance) {
      events.push({ type: 'Normal', reason: 'Created', message: `Created container: ${now.name}`, fieldPath });
      events.push({ type: 'Normal', reason: 'Started', message: `Started container ${now.name}`, fieldPath });
    }
    const backOff = now.state?.waiting?.reason === 'CrashLoopBackOff';
    if (backOff && was?.state?.waiting?.reason !== 'CrashLoopBackOff') {
      events.push({ type: 'Warning', reason: 'BackOff', message: `Back-off restarting failed container ${now.name}`, fieldPath });
    }
  }
  return events;
}
