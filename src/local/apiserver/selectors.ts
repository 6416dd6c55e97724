// Label and field selectors, parsed as kube-apiserver parses them (k8s.io/apimachinery/pkg/labels
// and /fields): pure functions from a query string to a predicate.

export type LabelRequirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!' }
  | { key: string; op: 'gt' | 'lt'; value: number };

export type Labels = Record<string, string> | undefined;

/** Splits on commas that are not inside parentheses ("a in (x,y),b" → two parts). */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

const KEY_RE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkKey(key: string, raw: string): string {
  if (!KEY_RE.test(key)) throw new Error(`unable to parse requirement: invalid label key "${key}" in "${raw}"`);
  return key;
}

function checkValue(value: string, raw: string): string {
  if (value.length > 63 || !VALUE_RE.test(value)) throw new Error(`unable to parse requirement: invalid label value "${value}" in "${raw}"`);
  return value;
}

/** Parses a label selector ("app=web,tier!=db,env in (a,b),!legacy,gpu"); throws Error with a kube-style message. */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  return splitTopLevel(selector).map((raw): LabelRequirement => {
    let m = /^(\S+?)\s+(in|notin)\s*\((.*)\)$/.exec(raw);
    if (m) {
      const values = m[3]!.split(',').map((v) => checkValue(v.trim(), raw));
      return { key: checkKey(m[1]!, raw), op: m[2] as 'in' | 'notin', values };
    }
    m = /^(\S+?)\s*(==|=|!=)\s*(\S*)$/.exec(raw);
    if (m) {
      const value = checkValue(m[3]!, raw);
      return { key: checkKey(m[1]!, raw), op: m[2] === '!=' ? 'notin' : 'in', values: [value] };
    }
    m = /^(\S+?)\s*(>|<)\s*(-?\d+)$/.exec(raw);
    if (m) return { key: checkKey(m[1]!, raw), op: m[2] === '>' ? 'gt' : 'lt', value: Number(m[3]) };
    m = /^!\s*(\S+)$/.exec(raw);
    if (m) return { key: checkKey(m[1]!, raw), op: '!' };
    return { key: checkKey(raw, raw), op: 'exists' };
  });
}

export function matchesLabels(reqs: readonly LabelRequirement[], labels: Labels): boolean {
  return reqs.every((r) => {
    const has = labels !== undefined && Object.hasOwn(labels, r.key);
    const value = has ? labels[r.key]! : undefined;
    switch (r.op) {
      case 'in':
        return value !== undefined && r.values.includes(value);
      case 'notin':
        return value === undefined || !r.values.includes(value);
      case 'exists':
        return has;
      case '!':
        return !has;
      case 'gt':
      case 'lt': {
        if (value === undefined || !/^-?\d+$/.test(value)) return false;
        return r.op === 'gt' ? Number(value) > r.value : Number(value) < r.value;
      }
    }
  });
}

export interface FieldRequirement {
  field: string;
  value: string;
  negate: boolean;
}

/** Splits on a separator not escaped by a backslash. */
function splitUnescaped(s: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && i + 1 < s.length) {
      cur += s[i]! + s[i + 1]!;
      i++;
    } else if (s[i] === sep) {
      parts.push(cur);
      cur = '';
    } else cur += s[i]!;
  }
  parts.push(cur);
  return parts;
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

/** Parses a field selector ("spec.nodeName=n1,status.phase!=Failed"). */
export function parseFieldSelector(selector: string): FieldRequirement[] {
  return splitUnescaped(selector, ',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((raw) => {
      const m = /^(.*?)(!=|==|=)(.*)$/s.exec(raw);
      if (!m || m[1] === '') throw new Error(`invalid selector: '${raw}'; can't understand '${raw}'`);
      return { field: m[1]!.trim(), value: unescape(m[3]!), negate: m[2] === '!=' };
    });
}

/** Field values an object exposes to field selectors, per storage resource (as the registries do). */
const FIELD_GETTERS: Record<string, Record<string, (o: FieldObject) => unknown>> = {
  pods: {
    'spec.nodeName': (o) => o.spec?.nodeName ?? '',
    'spec.restartPolicy': (o) => o.spec?.restartPolicy ?? '',
    'spec.schedulerName': (o) => o.spec?.schedulerName ?? '',
    'spec.serviceAccountName': (o) => o.spec?.serviceAccountName ?? '',
    'spec.hostNetwork': (o) => String(o.spec?.hostNetwork === true),
    'status.phase': (o) => o.status?.phase ?? '',
    'status.podIP': (o) => o.status?.podIP ?? '',
    'status.nominatedNodeName': (o) => o.status?.nominatedNodeName ?? '',
  },
  nodes: { 'spec.unschedulable': (o) => String(o.spec?.unschedulable === true) },
  namespaces: { 'status.phase': (o) => o.status?.phase ?? '' },
  secrets: { type: (o) => o.type ?? '' },
  events: {
    'involvedObject.kind': (o) => o.involvedObject?.kind ?? '',
    'involvedObject.namespace': (o) => o.involvedObject?.namespace ?? '',
    'involvedObject.name': (o) => o.involvedObject?.name ?? '',
    'involvedObject.uid': (o) => o.involvedObject?.uid ?? '',
    'involvedObject.apiVersion': (o) => o.involvedObject?.apiVersion ?? '',
    'involvedObject.resourceVersion': (o) => o.involvedObject?.resourceVersion ?? '',
    'involvedObject.fieldPath': (o) => o.involvedObject?.fieldPath ?? '',
    reason: (o) => o.reason ?? '',
    reportingComponent: (o) => o.reportingComponent ?? '',
    source: (o) => o.source?.component ?? '',
    type: (o) => o.type ?? '',
  },
};

interface Ref {
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

/** The shape field getters read; every field is optional because objects are user input. */
export interface FieldObject {
  metadata?: { name?: string; namespace?: string };
  spec?: { nodeName?: string; restartPolicy?: string; schedulerName?: string; serviceAccountName?: string; hostNetwork?: boolean; unschedulable?: boolean };
  status?: { phase?: string; podIP?: string; nominatedNodeName?: string };
  involvedObject?: Ref;
  source?: { component?: string };
  reason?: string;
  reportingComponent?: string;
  type?: string;
}

/** Resolves each requirement's field for `storage`; throws Error naming the supported fields. */
export function compileFieldSelector(storage: string, reqs: readonly FieldRequirement[]): (o: FieldObject) => boolean {
  const getters = FIELD_GETTERS[storage] ?? {};
  const compiled = reqs.map((r) => {
    let get: ((o: FieldObject) => unknown) | undefined;
    if (r.field === 'metadata.name') get = (o) => o.metadata?.name ?? '';
    else if (r.field === 'metadata.namespace') get = (o) => o.metadata?.namespace ?? '';
    else get = getters[r.field];
    if (!get) {
      const known = ['metadata.name', 'metadata.namespace', ...Object.keys(getters)].map((f) => `"${f}"`).join(', ');
      throw new Error(`field label not supported: ${r.field} (supported: ${known})`);
    }
    const getter = get;
    return (o: FieldObject): boolean => (String(getter(o)) === r.value) !== r.negate;
  });
  return (o) => compiled.every((f) => f(o));
}

/** A metav1.LabelSelector ({matchLabels, matchExpressions}) as an API object carries it. */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/**
 * metav1.LabelSelectorAsSelector: the requirements of a selector object (an empty selector
 * matches everything); throws Error for an operator that does not exist.
 */
export function selectorRequirements(selector: LabelSelectorObject): LabelRequirement[] {
  const reqs: LabelRequirement[] = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => ({ key, op: 'in', values: [value] }));
  for (const e of selector.matchExpressions ?? []) {
    switch (e.operator) {
      case 'In':
      case 'NotIn':
        reqs.push({ key: e.key, op: e.operator === 'In' ? 'in' : 'notin', values: [...(e.values ?? [])] });
        break;
      case 'Exists':
        reqs.push({ key: e.key, op: 'exists' });
        break;
      case 'DoesNotExist':
        reqs.push({ key: e.key, op: '!' });
        break;
      default:
        throw new Error(`"${e.operator}" is not a valid label selector operator`);
    }
  }
  return reqs;
}

/** The selector's string form (scale's status.selector, kubectl's SELECTOR column): "app=web,tier in (a,b)". */
export function formatSelector(selector: LabelSelectorObject): string {
  return selectorRequirements(selector)
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((r) => {
      switch (r.op) {
        case 'in':
          return r.values.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} in (${[...r.values].sort().join(',')})`;
        case 'notin':
          return `${r.key} notin (${[...r.values].sort().join(',')})`;
        case 'exists':
          return r.key;
        case '!':
          return `!${r.key}`;
        default:
          return `${r.key}${r.op === 'gt' ? '>' : '<'}${r.value}`;
      }
    })
    .join(',');
}
