// Validation with kube-apiserver's field paths and messages (k8s.io/kubernetes/pkg/apis/core/validation),
// for object metadata and the pod fields burstlet relies on. Pure: object in, causes out.
import { isIP } from 'node:net';
import { duplicate, invalidValue, notFoundField, required, unsupported, forbiddenField } from './causes.ts';
import { badRequest, type StatusCause } from './errors.ts';
import { parseQuantity, QuantityError } from '../../kube/quantity.ts';
import { isObject, type JsonObject } from './patch.ts';
import { validateSubPath, validateVolumeSource } from './volume-validation.ts';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function validateName(name: string, field: string, label: boolean): StatusCause[] {
  const max = label ? 63 : 253;
  const re = label ? DNS1123_LABEL : DNS1123_SUBDOMAIN;
  if (name.length > max) return [invalidValue(field, name, `must be no more than ${max} characters`)];
  if (!re.test(name)) {
    const kind = label ? 'RFC 1123 label' : 'RFC 1123 subdomain';
    return [invalidValue(field, name, `a lowercase ${kind} must consist of lower case alphanumeric characters, '-'${label ? '' : " or '.'"}, and must start and end with an alphanumeric character`)];
  }
  return [];
}

function validateLabels(labels: unknown, field: string): StatusCause[] {
  if (labels === undefined) return [];
  if (!isObject(labels)) return [invalidValue(field, labels, 'must be a map of string keys to string values')];
  const out: StatusCause[] = [];
  for (const [k, v] of Object.entries(labels)) {
    if (!QUALIFIED_NAME.test(k) || k.length > 316) out.push(invalidValue(field, k, 'name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character'));
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) out.push(invalidValue(`${field}[${k}]`, v, "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"));
  }
  return out;
}

/** Metadata rules for every kind; `labelNames` for kinds whose names are DNS labels (namespaces, services). */
export function validateMeta(obj: JsonObject, labelNames: boolean): StatusCause[] {
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  const out: StatusCause[] = [];
  if (typeof meta.name !== 'string' || meta.name === '') out.push(required('metadata.name', 'name or generateName is required'));
  else out.push(...validateName(meta.name, 'metadata.name', labelNames));
  out.push(...validateLabels(meta.labels, 'metadata.labels'));
  if (meta.annotations !== undefined && (!isObject(meta.annotations) || Object.values(meta.annotations).some((v) => typeof v !== 'string'))) {
    out.push(invalidValue('metadata.annotations', meta.annotations, 'must be a map of string keys to string values'));
  }
  return out;
}

/** JSON with object keys sorted, so equal values compare equal whatever their key order. */
export function canonicalJson(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonicalJson(x))).join(',')}]`;
  if (!isObject(v)) return JSON.stringify(v);
  const parts: string[] = [];
  for (const k of Object.keys(v).sort()) if (v[k] !== undefined) parts.push(`${JSON.stringify(k)}:${canonicalJson(v[k])}`);
  return `{${parts.join(',')}}`;
}

const list = (v: unknown): JsonObject[] => (Array.isArray(v) ? v.filter(isObject) : []);

function validateContainers(containers: JsonObject[], field: string, volumes: Set<string>, names: Set<string>): StatusCause[] {
  const out: StatusCause[] = [];
  containers.forEach((c, i) => {
    const at = `${field}[${i}]`;
    if (typeof c.name !== 'string' || c.name === '') out.push(required(`${at}.name`));
    else {
      out.push(...validateName(c.name, `${at}.name`, true));
      if (names.has(c.name)) out.push(duplicate(`${at}.name`, c.name));
      names.add(c.name);
    }
    if (typeof c.image !== 'string' || c.image.trim() === '') out.push(required(`${at}.image`));
    list(c.ports).forEach((p, j) => {
      const port = p.containerPort;
      if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
        out.push(invalidValue(`${at}.ports[${j}].containerPort`, port, 'must be between 1 and 65535, inclusive'));
      }
      if (p.protocol !== undefined && !['TCP', 'UDP', 'SCTP'].includes(String(p.protocol))) out.push(unsupported(`${at}.ports[${j}].protocol`, p.protocol, ['SCTP', 'TCP', 'UDP']));
    });
    list(c.env).forEach((e, j) => {
      if (typeof e.name !== 'string' || e.name === '') out.push(required(`${at}.env[${j}].name`));
    });
    out.push(...validateResources(c.resources, `${at}.resources`));
    list(c.volumeMounts).forEach((m, j) => {
      if (typeof m.name !== 'string' || !volumes.has(m.name)) out.push(notFoundField(`${at}.volumeMounts[${j}].name`, m.name));
      if (typeof m.mountPath !== 'string' || m.mountPath === '') out.push(required(`${at}.volumeMounts[${j}].mountPath`));
      out.push(...validateSubPath(m, `${at}.volumeMounts[${j}]`));
    });
  });
  return out;
}

/** What kube-apiserver's JSON decoding of a resource.Quantity accepts at all (its error names it). */
const QUANTITY_SHAPE = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;

/**
 * Resource quantities: parseable, bounded (what no int64 holds is refused), not negative. A
 * string that is not quantity-shaped never reaches validation in kube-apiserver: decoding the
 * body fails, 400 BadRequest, and so here.
 */
function validateResources(resources: unknown, field: string): StatusCause[] {
  if (!isObject(resources)) return [];
  const out: StatusCause[] = [];
  for (const kind of ['limits', 'requests'] as const) {
    const map = resources[kind];
    if (!isObject(map)) continue;
    for (const [name, value] of Object.entries(map)) {
      const at = `${field}.${kind}[${name}]`;
      try {
        if (typeof value !== 'string' && typeof value !== 'number') throw new QuantityError('must be a quantity');
        if (!QUANTITY_SHAPE.test(String(value))) {
          throw badRequest(`${at}: quantities must match the regular expression '${QUANTITY_SHAPE.source}'`);
        }
        if (parseQuantity(String(value)).milli < 0n) out.push(invalidValue(at, value, 'must be greater than or equal to 0'));
      } catch (err) {
        if (!(err instanceof QuantityError)) throw err;
        out.push(invalidValue(at, value, err.message));
      }
    }
  }
  return out;
}

function validateDns(spec: JsonObject): StatusCause[] {
  const out: StatusCause[] = [];
  const policies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
  if (spec.dnsPolicy !== undefined && !policies.includes(String(spec.dnsPolicy))) out.push(unsupported('spec.dnsPolicy', spec.dnsPolicy, policies));
  const cfg = spec.dnsConfig;
  if (spec.dnsPolicy === 'None' && !isObject(cfg)) out.push(required('spec.dnsConfig', 'must provide `dnsConfig` when `dnsPolicy` is None'));
  if (!isObject(cfg)) return out;
  const nameservers = Array.isArray(cfg.nameservers) ? cfg.nameservers : [];
  const searches = Array.isArray(cfg.searches) ? cfg.searches : [];
  if (nameservers.length > 3) out.push(invalidValue('spec.dnsConfig.nameservers', nameservers, 'must not have more than 3 nameservers'));
  nameservers.forEach((ns, i) => {
    if (typeof ns !== 'string' || isIP(ns) === 0) out.push(invalidValue(`spec.dnsConfig.nameservers[${i}]`, ns, 'must be valid IP address'));
  });
  if (spec.dnsPolicy === 'None' && nameservers.length === 0) out.push(required('spec.dnsConfig.nameservers', 'must provide at least one DNS nameserver when `dnsPolicy` is None'));
  if (searches.length > 32) out.push(invalidValue('spec.dnsConfig.searches', searches, 'must not have more than 32 search paths'));
  if (searches.join(' ').length > 2048) out.push(invalidValue('spec.dnsConfig.searches', searches, 'must not have more than 2048 characters (including spaces) in the search list'));
  searches.forEach((s, i) => {
    const domain = typeof s === 'string' ? s.replace(/\.$/, '') : '';
    if (domain === '' || !DNS1123_SUBDOMAIN.test(domain)) out.push(invalidValue(`spec.dnsConfig.searches[${i}]`, s, 'must be a valid DNS subdomain'));
  });
  return out;
}

function validateTolerations(spec: JsonObject): StatusCause[] {
  const out: StatusCause[] = [];
  list(spec.tolerations).forEach((t, i) => {
    const at = `spec.tolerations[${i}]`;
    if (t.operator !== undefined && !['Exists', 'Equal'].includes(String(t.operator))) out.push(unsupported(`${at}.operator`, t.operator, ['Equal', 'Exists']));
    if (t.operator === 'Exists' && t.value !== undefined && t.value !== '') out.push(invalidValue(`${at}.operator`, t.value, 'value must be empty when `operator` is \'Exists\''));
    if ((t.key === undefined || t.key === '') && t.operator !== 'Exists') out.push(invalidValue(`${at}.operator`, t.operator, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    if (t.effect !== undefined && t.effect !== '' && !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(String(t.effect))) {
      out.push(unsupported(`${at}.effect`, t.effect, ['NoExecute', 'NoSchedule', 'PreferNoSchedule']));
    }
  });
  return out;
}

export function validatePodSpec(spec: JsonObject): StatusCause[] {
  const out: StatusCause[] = [];
  const volumes = new Set<string>();
  list(spec.volumes).forEach((v, i) => {
    if (typeof v.name !== 'string' || v.name === '') out.push(required(`spec.volumes[${i}].name`));
    else {
      out.push(...validateName(v.name, `spec.volumes[${i}].name`, true));
      if (volumes.has(v.name)) out.push(duplicate(`spec.volumes[${i}].name`, v.name));
      volumes.add(v.name);
    }
    out.push(...validateVolumeSource(v, `spec.volumes[${i}]`));
  });
  const containers = list(spec.containers);
  if (containers.length === 0) out.push(required('spec.containers'));
  const names = new Set<string>();
  out.push(...validateContainers(containers, 'spec.containers', volumes, names));
  out.push(...validateContainers(list(spec.initContainers), 'spec.initContainers', volumes, names));
  const restart = ['Always', 'OnFailure', 'Never'];
  if (spec.restartPolicy !== undefined && !restart.includes(String(spec.restartPolicy))) out.push(unsupported('spec.restartPolicy', spec.restartPolicy, restart));
  const grace = spec.terminationGracePeriodSeconds;
  if (grace !== undefined && (typeof grace !== 'number' || grace < 0)) out.push(invalidValue('spec.terminationGracePeriodSeconds', grace, 'must be greater than or equal to 0'));
  out.push(...validateDns(spec), ...validateTolerations(spec));
  return out;
}

/** Pod spec fields an update may change (kube-apiserver's list, minus the alpha ones). */
function mutableMasked(spec: JsonObject): JsonObject {
  const mask = (cs: unknown): unknown => list(cs).map((c) => ({ ...c, image: '' }));
  return { ...spec, containers: mask(spec.containers), initContainers: mask(spec.initContainers), activeDeadlineSeconds: 0, tolerations: [], terminationGracePeriodSeconds: 0 };
}

/** Every element of `before` is still in `after` (compared as JSON). */
function keepsAll(before: unknown, after: unknown): boolean {
  const have = new Set(list(after).map(canonicalJson));
  return list(before).every((x) => have.has(canonicalJson(x)));
}

/**
 * Scheduling gates may only be removed; while the old pod is gated its node selector may gain
 * entries and its required node affinity may be narrowed (each term gains expressions, or it is
 * set when there was none); preferred terms may change freely (KEP-3521, KEP-3838). Returns the
 * violations, and both specs with those fields masked when they changed by these rules.
 */
function schedulingDirectives(spec: JsonObject, oldSpec: JsonObject): { causes: StatusCause[]; spec: JsonObject; oldSpec: JsonObject } {
  const causes: StatusCause[] = [];
  const oldGates = new Set(list(oldSpec.schedulingGates).map((g) => String(g.name)));
  for (const g of list(spec.schedulingGates)) {
    if (!oldGates.has(String(g.name))) causes.push(forbiddenField('spec.schedulingGates', `only deletion is allowed, but found new scheduling gate '${String(g.name)}'`));
  }
  const masked = (x: JsonObject, affinity: unknown): JsonObject => ({ ...x, schedulingGates: [], ...(affinity === undefined ? {} : { nodeSelector: {}, affinity }) });
  if (oldGates.size === 0) return { causes, spec: masked(spec, undefined), oldSpec: masked(oldSpec, undefined) };
  const selector = isObject(spec.nodeSelector) ? spec.nodeSelector : {};
  for (const [k, v] of Object.entries(isObject(oldSpec.nodeSelector) ? oldSpec.nodeSelector : {})) {
    if (selector[k] !== v) causes.push(invalidValue('spec.nodeSelector', spec.nodeSelector ?? {}, 'only additions to spec.nodeSelector are allowed (no mutations or deletions)'));
  }
  const nodeAffinity = (x: JsonObject): JsonObject => (isObject(x.affinity) && isObject(x.affinity.nodeAffinity) ? x.affinity.nodeAffinity : {});
  const terms = (x: JsonObject): JsonObject[] => {
    const req = nodeAffinity(x).requiredDuringSchedulingIgnoredDuringExecution;
    return isObject(req) ? list(req.nodeSelectorTerms) : [];
  };
  const [before, after] = [terms(oldSpec), terms(spec)];
  const at = 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms';
  if (before.length > 0 && after.length !== before.length) causes.push(invalidValue(at, after, 'no additions/deletions to non-empty NodeSelectorTerms list are allowed'));
  else if (before.length > 0) {
    before.forEach((t, i) => {
      if (!keepsAll(t.matchExpressions, after[i]!.matchExpressions) || !keepsAll(t.matchFields, after[i]!.matchFields)) causes.push(invalidValue(`${at}[${i}]`, after[i], 'only additions are allowed (no mutations or deletions)'));
    });
  }
  // Beyond the node affinity, the affinity stays as it was.
  const rest = (x: JsonObject): JsonObject => {
    const { nodeAffinity: _, ...others } = isObject(x.affinity) ? x.affinity : {};
    return others;
  };
  return { causes, spec: masked(spec, rest(spec)), oldSpec: masked(oldSpec, rest(oldSpec)) };
}

export function validatePodUpdate(spec: JsonObject, oldSpec: JsonObject): StatusCause[] {
  const directives = schedulingDirectives(spec, oldSpec);
  if (directives.causes.length > 0) return directives.causes;
  if (canonicalJson(mutableMasked(directives.spec)) === canonicalJson(mutableMasked(directives.oldSpec))) return [];
  return [
    forbiddenField(
      'spec',
      'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
    ),
  ];
}

/** Service spec rules kube-proxy and the EndpointSlice controller rely on. */
export function validateServiceSpec(spec: JsonObject): StatusCause[] {
  const out: StatusCause[] = [];
  const types = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
  if (spec.type !== undefined && !types.includes(String(spec.type))) out.push(unsupported('spec.type', spec.type, types));
  const ports = list(spec.ports);
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const at = `spec.ports[${i}]`;
    if (typeof p.port !== 'number' || !Number.isInteger(p.port) || p.port < 1 || p.port > 65535) out.push(invalidValue(`${at}.port`, p.port, 'must be between 1 and 65535, inclusive'));
    if (p.protocol !== undefined && !['TCP', 'UDP', 'SCTP'].includes(String(p.protocol))) out.push(unsupported(`${at}.protocol`, p.protocol, ['SCTP', 'TCP', 'UDP']));
    const name = typeof p.name === 'string' ? p.name : '';
    if (ports.length > 1 && name === '') out.push(required(`${at}.name`));
    if (name !== '') {
      out.push(...validateName(name, `${at}.name`, true));
      if (names.has(name)) out.push(duplicate(`${at}.name`, name));
      names.add(name);
    }
    const target = p.targetPort;
    if (typeof target === 'number' && (target < 1 || target > 65535)) out.push(invalidValue(`${at}.targetPort`, target, 'must be between 1 and 65535, inclusive'));
  });
  if (spec.selector !== undefined) out.push(...validateLabels(spec.selector, 'spec.selector'));
  return out;
}

/** EndpointSlice rules: an address type, and addresses of that type. */
export function validateEndpointSlice(slice: JsonObject): StatusCause[] {
  const out: StatusCause[] = [];
  const types = ['IPv4', 'IPv6', 'FQDN'];
  if (slice.addressType === undefined) out.push(required('addressType'));
  else if (!types.includes(String(slice.addressType))) out.push(unsupported('addressType', slice.addressType, types));
  const family = slice.addressType === 'IPv4' ? 4 : slice.addressType === 'IPv6' ? 6 : 0;
  list(slice.endpoints).forEach((e, i) => {
    const addresses = Array.isArray(e.addresses) ? e.addresses : [];
    if (addresses.length === 0 || addresses.length > 100) out.push(invalidValue(`endpoints[${i}].addresses`, addresses, 'must contain between 1 and 100 addresses'));
    addresses.forEach((a, j) => {
      if (family !== 0 && (typeof a !== 'string' || isIP(a) !== family)) out.push(invalidValue(`endpoints[${i}].addresses[${j}]`, a, `must be a valid IPv${family} address`));
    });
  });
  return out;
}

/**
 * legacyValidateEvent (k8s.io/kubernetes/pkg/apis/core/validation/events.go), which every Event
 * write passes on any API version: an Event's namespace matches its object's (a cluster-scoped
 * object's events live in "default"), and an Event with eventTime names who reported what.
 */
export function validateEvent(ev: JsonObject): StatusCause[] {
  const out: StatusCause[] = [];
  const namespace = isObject(ev.metadata) && typeof ev.metadata.namespace === 'string' ? ev.metadata.namespace : '';
  const involved = isObject(ev.involvedObject) ? ev.involvedObject : {};
  const involvedNs = typeof involved.namespace === 'string' ? involved.namespace : '';
  const mismatch = invalidValue('involvedObject.namespace', involvedNs, 'does not match event.namespace');
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  if (ev.eventTime === undefined || ev.eventTime === null || ev.eventTime === '') {
    if (involvedNs === '' ? namespace !== '' && namespace !== 'default' : namespace !== involvedNs) out.push(mismatch);
  } else {
    if (involvedNs === '' && namespace !== 'default' && namespace !== 'kube-system') out.push(mismatch);
    const controller = text(ev.reportingComponent);
    if (controller === '') out.push(required('reportingController'));
    else if (!QUALIFIED_NAME.test(controller)) out.push(invalidValue('reportingController', controller, 'name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character'));
    for (const [field, value, limit] of [['reportingInstance', text(ev.reportingInstance), 128], ['action', text(ev.action), 128], ['reason', text(ev.reason), 128]] as const) {
      if (value === '') out.push(required(field));
      else if (value.length > limit) out.push(invalidValue(field, '', `can have at most ${limit} characters`));
    }
    if (text(ev.message).length > 1024) out.push(invalidValue('message', '', 'can have at most 1024 characters'));
  }
  return out;
}
