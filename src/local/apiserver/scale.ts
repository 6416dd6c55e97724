// The /scale subresource of Deployments, ReplicaSets and StatefulSets (autoscaling/v1 Scale):
// what `kubectl scale` and the HPA read and write. Writing it changes only spec.replicas.
import { ApiError, invalid } from './errors.ts';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, isObject, PatchApplyError, type JsonObject } from './patch.ts';
import type { PatchType, Registry } from './registry.ts';
import type { ResourceDef } from './resources.ts';
import { formatSelector, type LabelSelectorObject } from './selectors.ts';
import type { KubeObject } from './store.ts';

export function toScale(o: KubeObject): JsonObject {
  const spec = isObject(o.spec) ? o.spec : {};
  const status = isObject(o.status) ? o.status : {};
  const { name, namespace, uid, resourceVersion, creationTimestamp } = o.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    // autoscaling/v1 ScaleSpec.replicas is omitempty: 0 is left out, as kube-apiserver writes it.
    spec: typeof spec.replicas === 'number' && spec.replicas !== 0 ? { replicas: spec.replicas } : {},
    status: {
      replicas: typeof status.replicas === 'number' ? status.replicas : 0,
      selector: isObject(spec.selector) ? formatSelector(spec.selector as LabelSelectorObject) : '',
    },
  };
}

export type ScaleRequest =
  | { verb: 'get' }
  | { verb: 'update'; body: unknown }
  | { verb: 'patch'; type: PatchType; patch: unknown };

/** Serves one request on `def`'s /scale; returns the Scale to answer with. */
export function serveScale(registry: Registry, def: ResourceDef, namespace: string, name: string, request: ScaleRequest, dryRun: boolean): JsonObject {
  const current = registry.get(def, namespace, name);
  if (request.verb === 'get') return toScale(current);
  let scale: unknown;
  try {
    if (request.verb === 'update') scale = request.body;
    else if (request.type === 'json') scale = applyJsonPatch(toScale(current), request.patch);
    else if (request.type === 'merge') scale = applyMergePatch(toScale(current), request.patch);
    else scale = applyStrategicMergePatch(toScale(current), request.patch, 'Scale');
  } catch (err) {
    if (err instanceof PatchApplyError) throw new ApiError(422, 'Invalid', err.message);
    throw err;
  }
  const s = isObject(scale) ? scale : {};
  const replicas = isObject(s.spec) ? s.spec.replicas : undefined;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw invalid('Scale', 'autoscaling', name, [{ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`, field: 'spec.replicas' }]);
  }
  const rv = isObject(s.metadata) ? s.metadata.resourceVersion : undefined;
  const patch = { metadata: typeof rv === 'string' && rv !== '' ? { resourceVersion: rv } : {}, spec: { replicas } };
  return toScale(registry.patch(def, namespace, name, 'merge', patch, { dryRun }));
}
