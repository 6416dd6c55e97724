// The semantics of the REST verbs over the store: names, uids, timestamps, generation,
// optimistic concurrency, status subresources, graceful deletion and finalizers.
import { randomUUID } from 'node:crypto';
import { alreadyExists, ApiError, badRequest, conflict, invalid, notFound } from './errors.ts';
import { carryOver, defaultPodStatus, prepareCreate, validateUpdate, type KindHooks } from './defaults.ts';
import { pruneUnapplied } from './apply.ts';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, isObject, PatchApplyError, type JsonObject } from './patch.ts';
import { bindPod, podDeletionGrace, podNodeName, readyToRemove, type DeleteOptions } from './pods.ts';
import { apiVersionOf, RESOURCES, type ResourceDef } from './resources.ts';
import type { KubeObject, ObjectMeta, ObjectStore } from './store.ts';
import { canonicalJson } from './validation.ts';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

const GENERATE_CHARS = 'bcdfghjklmnpqrstvwxz2456789';
const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

export function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

function generateSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += GENERATE_CHARS[Math.floor(Math.random() * GENERATE_CHARS.length)];
  return s;
}

/** The object without what changes on every write, for "did anything change?" checks. */
// Stored objects never change, so their comparison forms are computed once.
const comparableCache = new WeakMap<KubeObject, string>();
const specCache = new WeakMap<KubeObject, string>();

function cached(cache: WeakMap<KubeObject, string>, o: KubeObject, f: (o: KubeObject) => string): string {
  let s = cache.get(o);
  if (s === undefined) cache.set(o, (s = f(o)));
  return s;
}

const specOf = (o: KubeObject): string => canonicalJson(o.spec);

function comparable(o: KubeObject): string {
  const { resourceVersion: _rv, managedFields: _mf, ...meta } = o.metadata;
  return canonicalJson({ ...o, metadata: meta });
}

export interface PatchOptions {
  subresource?: 'status';
  dryRun?: boolean;
  view?: PatchView;
  /** Server-side apply's field manager (the fieldManager query parameter). */
  fieldManager?: string;
}

export interface PatchView {
  toStorage(o: KubeObject): KubeObject;
  fromStorage(o: KubeObject): KubeObject;
}

const IDENTITY_VIEW: PatchView = { toStorage: (o) => o, fromStorage: (o) => o };

export interface DeleteResult {
  object: KubeObject;
  /** false while finalizers or a grace period keep the object in storage (HTTP 202). */
  removed: boolean;
}

export class Registry {
  readonly store: ObjectStore;
  private readonly hooks: KindHooks;

  constructor(store: ObjectStore, hooks: KindHooks) {
    this.store = store;
    this.hooks = hooks;
  }

  get(def: ResourceDef, namespace: string, name: string): KubeObject {
    const o = this.store.get(def.storage, namespace, name);
    if (!o) throw notFound(def, name);
    return o;
  }

  private checkNamespace(def: ResourceDef, namespace: string): void {
    if (!def.namespaced) return;
    const ns = this.store.get('namespaces', '', namespace);
    if (!ns) throw notFound({ group: '', plural: 'namespaces' }, namespace);
    if (ns.metadata.deletionTimestamp) {
      throw new ApiError(403, 'Forbidden', `${def.plural} "" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  private checkBody(def: ResourceDef, namespace: string, body: unknown): KubeObject {
    if (!isObject(body)) throw badRequest('the request body must be a JSON object');
    const metadata = isObject(body.metadata) ? body.metadata : {};
    const expected = apiVersionOf(def);
    if (body.apiVersion !== undefined && body.apiVersion !== expected) {
      throw badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${expected})`);
    }
    if (body.kind !== undefined && body.kind !== def.kind) throw badRequest(`the kind in the data (${String(body.kind)}) does not match the expected kind (${def.kind})`);
    if (def.namespaced && metadata.namespace !== undefined && metadata.namespace !== '' && metadata.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const meta = { ...metadata, ...(def.namespaced ? { namespace } : {}) };
    if (!def.namespaced) delete meta.namespace;
    return { ...body, apiVersion: expected, kind: def.kind, metadata: meta };
  }

  create(def: ResourceDef, namespace: string, body: unknown, dryRun = false): KubeObject {
    const obj = this.checkBody(def, namespace, body);
    this.checkNamespace(def, namespace);
    const meta = obj.metadata;
    if (!meta.name && typeof meta.generateName === 'string' && meta.generateName !== '') meta.name = meta.generateName + generateSuffix();
    const name = typeof meta.name === 'string' ? meta.name : '';
    if (name !== '' && this.store.get(def.storage, namespace, name)) throw alreadyExists(def, name);
    const fresh: KubeObject = {
      ...obj,
      metadata: {
        ...meta,
        uid: randomUUID(),
        creationTimestamp: now(),
        generation: 1,
        resourceVersion: undefined,
        deletionTimestamp: undefined,
        deletionGracePeriodSeconds: undefined,
      },
    };
    for (const k of ['resourceVersion', 'deletionTimestamp', 'deletionGracePeriodSeconds'] as const) delete fresh.metadata[k];
    const { object, causes } = prepareCreate(def.kind, fresh, this.hooks);
    if (causes.length > 0) throw invalid(def.kind, def.group, name, causes);
    if (dryRun) {
      if (def.kind === 'Service' && isObject(object.spec)) this.hooks.ips.release(object.spec.clusterIP);
      return object;
    }
    return this.store.put(def.storage, object);
  }

  /** PUT of the object or of its status subresource. */
  update(def: ResourceDef, namespace: string, name: string, body: unknown, subresource: 'status' | undefined, dryRun = false): KubeObject {
    const incoming = this.checkBody(def, namespace, body);
    if (incoming.metadata.name !== undefined && incoming.metadata.name !== name) {
      throw badRequest(`the name of the object (${String(incoming.metadata.name)}) does not match the name on the URL (${name})`);
    }
    const old = this.get(def, namespace, name);
    const rv = incoming.metadata.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== old.metadata.resourceVersion) {
      throw conflict(def, name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    return this.write(def, old, incoming, subresource, dryRun);
  }

  private write(def: ResourceDef, old: KubeObject, incoming: KubeObject, subresource: 'status' | undefined, dryRun: boolean): KubeObject {
    const name = old.metadata.name ?? '';
    let next: KubeObject;
    if (subresource === 'status') {
      // Status writers may touch labels and annotations, nothing else outside status.
      const status = def.kind === 'Pod' ? defaultPodStatus(incoming.status) : incoming.status;
      next = { ...old, status, metadata: { ...old.metadata, labels: incoming.metadata.labels, annotations: incoming.metadata.annotations } };
    } else {
      next = carryOver(def.kind, { ...incoming }, old);
      if (def.statusSubresource) next.status = old.status;
      if (next.status === undefined) delete next.status;
    }
    const keep = ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'namespace', 'name', 'generation'] as const;
    const meta: Record<string, unknown> = { ...next.metadata };
    for (const k of keep) {
      if (old.metadata[k] === undefined) delete meta[k];
      else meta[k] = old.metadata[k];
    }
    for (const k of ['labels', 'annotations'] as const) if (meta[k] === undefined) delete meta[k];
    next = { ...next, metadata: meta as ObjectMeta };
    if (comparable(next) === cached(comparableCache, old, comparable)) return old;
    const specChanged = subresource !== 'status' && specOf(next) !== cached(specCache, old, specOf);
    if (specChanged) next.metadata.generation = (old.metadata.generation ?? 1) + 1;
    const causes = validateUpdate(def.kind, next, old, specChanged);
    if (causes.length > 0) throw invalid(def.kind, def.group, name, causes);
    if (dryRun) return next;
    if (readyToRemove(next, def.kind === 'Pod')) return this.finish(def, next);
    return this.store.put(def.storage, next);
  }

  /**
   * Applies a patch. `view` converts between the stored form and the form the patch was
   * written against (events.k8s.io Events are stored as core Events). Apply patches
   * (server-side apply) also remove what the same field manager applied before and no longer does.
   */
  patch(def: ResourceDef, namespace: string, name: string, type: PatchType, patch: unknown, opts: PatchOptions = {}): KubeObject {
    const { subresource, dryRun = false, view = IDENTITY_VIEW, fieldManager = 'unknown' } = opts;
    const existing = this.store.get(def.storage, namespace, name);
    if (!existing) {
      if (type !== 'apply') throw notFound(def, name);
      const created = this.create(def, namespace, isObject(patch) && isObject(patch.metadata) ? view.toStorage(patch as KubeObject) : patch, dryRun);
      if (!dryRun) this.rememberApplied(created, fieldManager, patch);
      return created;
    }
    let patched: unknown;
    try {
      const current = view.fromStorage(existing);
      if (type === 'json') patched = applyJsonPatch(current, patch);
      else if (type === 'merge') patched = applyMergePatch(current, patch);
      else patched = applyStrategicMergePatch(current, patch, def.kind);
      if (type === 'apply' && isObject(patched) && isObject(patch)) {
        const previous = this.applied.get(existing.metadata.uid ?? '')?.get(fieldManager);
        if (previous) patched = pruneUnapplied(def.kind, patched, previous, patch);
      }
    } catch (err) {
      if (err instanceof PatchApplyError) throw new ApiError(422, 'Invalid', err.message);
      throw err;
    }
    if (!isObject(patched) || !isObject(patched.metadata)) throw new ApiError(422, 'Invalid', 'the patched object is not an object with metadata');
    const incoming = this.checkBody(def, namespace, view.toStorage(patched as KubeObject));
    if (incoming.metadata.name !== name) throw badRequest('the patch may not change the object name');
    const rv = incoming.metadata.resourceVersion;
    if (rv !== undefined && rv !== existing.metadata.resourceVersion) {
      throw conflict(def, name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    const written = this.write(def, existing, incoming, subresource, dryRun);
    if (type === 'apply' && !dryRun) this.rememberApplied(written, fieldManager, patch);
    return written;
  }

  /** Server-side apply's memory: each manager's last applied configuration per object. */
  private readonly applied = new Map<string, Map<string, JsonObject>>();

  private rememberApplied(obj: KubeObject, manager: string, config: unknown): void {
    const uid = obj.metadata.uid ?? '';
    if (!isObject(config)) return;
    let byManager = this.applied.get(uid);
    if (!byManager) this.applied.set(uid, (byManager = new Map()));
    byManager.set(manager, config);
  }

  delete(def: ResourceDef, namespace: string, name: string, opts: DeleteOptions, dryRun = false): DeleteResult {
    const obj = this.get(def, namespace, name);
    const pre = opts.preconditions ?? {};
    if (pre.uid && pre.uid !== obj.metadata.uid) {
      throw conflict(def, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid ?? ''}`);
    }
    if (pre.resourceVersion && pre.resourceVersion !== obj.metadata.resourceVersion) {
      throw conflict(def, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion ?? ''}`);
    }
    if (def.kind === 'Namespace' && PROTECTED_NAMESPACES.has(name)) {
      throw new ApiError(403, 'Forbidden', `namespaces "${name}" is forbidden: this namespace may not be deleted`);
    }
    const isPod = def.kind === 'Pod';
    const grace = isPod ? podDeletionGrace(obj, opts, this.store.get('nodes', '', podNodeName(obj)) !== undefined) : 0;
    const marked: KubeObject = {
      ...obj,
      metadata: { ...obj.metadata, deletionTimestamp: obj.metadata.deletionTimestamp ?? new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d+Z$/, 'Z'), deletionGracePeriodSeconds: grace },
    };
    if (def.kind === 'Namespace') marked.status = { ...(isObject(obj.status) ? obj.status : {}), phase: 'Terminating' };
    if (dryRun) return { object: marked, removed: false };
    // propagationPolicy Orphan (kubectl delete --cascade=orphan): the dependents lose this owner and stay.
    if (opts.propagationPolicy === 'Orphan') this.orphanDependents(obj);
    if (def.kind === 'Namespace') {
      const stored = this.store.put(def.storage, marked);
      setImmediate(() => this.purgeNamespace(name));
      return { object: stored, removed: false };
    }
    if (readyToRemove(marked, isPod)) return { object: this.finish(def, obj), removed: true };
    if (comparable(marked) === cached(comparableCache, obj, comparable)) return { object: obj, removed: false };
    return { object: this.store.put(def.storage, marked), removed: false };
  }

  /** What the garbage collector's orphan finalizer does: removes `owner` from its dependents' ownerReferences. */
  private orphanDependents(owner: KubeObject): void {
    const uid = owner.metadata.uid;
    const storages = new Set(RESOURCES.filter((r) => r.namespaced && !r.review).map((r) => r.storage));
    for (const storage of storages) {
      for (const o of this.store.list(storage, owner.metadata.namespace).items) {
        const refs = o.metadata.ownerReferences ?? [];
        if (!refs.some((r) => r.uid === uid)) continue;
        const { ownerReferences: _refs, ...rest } = o.metadata;
        const kept = refs.filter((r) => r.uid !== uid);
        this.store.put(storage, { ...o, metadata: kept.length === 0 ? rest : { ...rest, ownerReferences: kept } });
      }
    }
  }

  /** Removes an object for good and releases what it held. */
  private finish(def: ResourceDef, obj: KubeObject): KubeObject {
    const removed = this.store.remove(def.storage, obj.metadata.namespace ?? '', obj.metadata.name ?? '') ?? obj;
    this.applied.delete(obj.metadata.uid ?? '');
    if (def.kind === 'Service' && isObject(obj.spec)) this.hooks.ips.release(obj.spec.clusterIP);
    if (def.kind === 'Node') this.removeTerminatingPodsOf(obj.metadata.name ?? '');
    return removed;
  }

  /** Terminating pods of a node that is gone can never be confirmed by its kubelet. */
  private removeTerminatingPodsOf(node: string): void {
    for (const pod of this.store.list('pods').items) {
      if (pod.metadata.deletionTimestamp && podNodeName(pod) === node && (pod.metadata.finalizers ?? []).length === 0) {
        this.store.remove('pods', pod.metadata.namespace ?? '', pod.metadata.name ?? '');
      }
    }
  }

  /** The namespace controller's job: delete everything in a terminating namespace, then the namespace. */
  private purgeNamespace(name: string): void {
    const storages = new Set(RESOURCES.filter((r) => r.namespaced && !r.review).map((r) => r.storage));
    for (const storage of storages) {
      for (const o of this.store.list(storage, name).items) {
        this.store.remove(storage, name, o.metadata.name ?? '');
        if (storage === 'services' && isObject(o.spec)) this.hooks.ips.release(o.spec.clusterIP);
      }
    }
    this.store.remove('namespaces', '', name);
  }

  bind(namespace: string, name: string, body: unknown, podDef: ResourceDef): void {
    const target = isObject(body) && isObject(body.target) ? body.target : {};
    const node = typeof target.name === 'string' ? target.name : '';
    if (node === '') throw invalid('Binding', '', name, [{ reason: 'FieldValueRequired', message: 'Required value', field: 'target.name' }]);
    const pod = this.get(podDef, namespace, name);
    const current = podNodeName(pod);
    if (current !== '') throw conflict(podDef, name, `pod ${name} is already assigned to node "${current}"`);
    if (pod.metadata.deletionTimestamp) throw conflict(podDef, name, `pod ${name} is being deleted, cannot be assigned to a host`);
    this.store.put(podDef.storage, bindPod(pod, node, now()));
  }
}
