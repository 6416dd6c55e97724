// What cannot burst, checked before anything is resolved: a pod that can never run on CCI
// is refused at once, even if it also waits for a ConfigMap.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { TranslateError } from './context.ts';
import { parseQuantity } from '../../kube/quantity.ts';
import { subPathRefusal, volumeRefusal } from './volumes.ts';
import { errorMessage } from '../../log/error-message.ts';

export const UNSUPPORTED_HOST_NETWORK = 'UnsupportedHostNetwork';
export const UNSUPPORTED_HOST_NAMESPACE = 'UnsupportedHostNamespace';
export const UNSUPPORTED_DAEMONSET = 'UnsupportedDaemonSet';
export const PRIVILEGED_NOT_SUPPORTED = 'PrivilegedNotSupported';
export const UNSUPPORTED_SIDECAR_CONTAINER = 'UnsupportedSidecarContainer';
export const UNSUPPORTED_RESOURCE = 'UnsupportedResource';

/** The resources a CCI 2.0 flavor provides; anything else (GPUs, hugepages) would be silently missing. */
const FLAVOR_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);

function refuseResources(c: V1Container): void {
  for (const list of [c.resources?.limits, c.resources?.requests]) {
    for (const [name, value] of Object.entries(list ?? {})) {
      if (!FLAVOR_RESOURCES.has(name)) {
        throw new TranslateError(UNSUPPORTED_RESOURCE,
          `container ${JSON.stringify(c.name)} asks for ${name}, which burst pods cannot get (only cpu, memory and ephemeral-storage); remove it or keep this pod off the virtual node`);
      }
      try {
        parseQuantity(value);
      } catch (err) {
        throw new TranslateError(UNSUPPORTED_RESOURCE, `container ${JSON.stringify(c.name)} ${name}: ${errorMessage(err)}`);
      }
    }
  }
}

export function refuseWhatCannotBurst(pod: V1Pod): void {
  const spec = pod.spec;
  if (spec?.hostNetwork) {
    throw new TranslateError(UNSUPPORTED_HOST_NETWORK,
      'the pod uses hostNetwork, which CCI does not offer (a CCI pod has no host); remove hostNetwork or keep this pod off the virtual node');
  }
  if (spec?.hostPID || spec?.hostIPC) {
    throw new TranslateError(UNSUPPORTED_HOST_NAMESPACE,
      `the pod shares the host's ${spec.hostPID ? 'PID' : 'IPC'} namespace, which CCI does not offer; remove hostPID/hostIPC or keep this pod off the virtual node`);
  }
  const owner = pod.metadata?.ownerReferences?.find((o) => o.kind === 'DaemonSet' && o.controller);
  if (owner) {
    throw new TranslateError(UNSUPPORTED_DAEMONSET,
      `the pod belongs to DaemonSet ${JSON.stringify(owner.name)}; DaemonSet pods cannot run on CCI: give the DaemonSet a nodeAffinity that excludes nodes labelled type=virtual-kubelet, or drop its toleration of virtual-kubelet.io/provider`);
  }
  const privileged = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].find((c) => c.securityContext?.privileged);
  if (privileged) {
    throw new TranslateError(PRIVILEGED_NOT_SUPPORTED,
      `container ${JSON.stringify(privileged.name)} asks for privileged mode, which CCI does not allow; remove securityContext.privileged (add only the capabilities it needs) or keep this pod off the virtual node`);
  }
  // A native sidecar would block the pod in Init forever: CCI containers carry no restartPolicy.
  const nativeSidecar = spec?.initContainers?.find((c) => c.restartPolicy === 'Always');
  if (nativeSidecar) {
    throw new TranslateError(UNSUPPORTED_SIDECAR_CONTAINER,
      `init container ${JSON.stringify(nativeSidecar.name)} has restartPolicy Always (a native sidecar), which burst pods do not support; make it a regular container or keep this pod off the virtual node`);
  }
  for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) refuseResources(c);
  for (const v of spec?.volumes ?? []) {
    const refusal = volumeRefusal(v);
    if (refusal) throw refusal;
  }
  const subPath = subPathRefusal(pod);
  if (subPath) throw subPath;
}
