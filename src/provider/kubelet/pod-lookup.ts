// Finding the pod and container a kubelet request names, and the Status bodies for failures.
import type { Pod } from '../../kube/wire.ts';
import type { KubeletBackend } from './backend.ts';

export function statusBody(code: number, reason: string, message: string): object {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

export function notFound(namespace: string, name: string): string {
  return `pod "${name}" not found in namespace "${namespace}"`;
}

export function podAndContainer(backend: KubeletBackend, namespace: string, name: string, container: string): { pod: Pod; container: string } | { error: string } {
  const pod = backend.findPod(namespace, name);
  if (!pod) return { error: notFound(namespace, name) };
  const spec = pod.spec;
  const names = [...(spec?.containers ?? []), ...(spec?.initContainers ?? []), ...(spec?.ephemeralContainers ?? [])].map((c) => c.name);
  if (!names.includes(container)) return { error: `container "${container}" not found in pod "${name}" in namespace "${namespace}"` };
  return { pod, container };
}
