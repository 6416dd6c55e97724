// Parsing Kubernetes API paths into (group, version, namespace, resource, name, subresource)
// and the verb a request means. Pure, so the awkward cases are table-tested.
import { findResource, resourcesIn, type ResourceDef } from './resources.ts';

export interface ApiPath {
  group: string;
  version: string;
  /** Undefined for discovery of the group-version itself. */
  def?: ResourceDef;
  /** The plural as written, when it names no resource served here. */
  unknownResource?: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** The legacy /watch/ prefix. */
  watchPrefix: boolean;
}

/** Parses /api/v1/... and /apis/{group}/{version}/...; undefined for anything else. */
export function parseApiPath(pathname: string): ApiPath | undefined {
  const segs = pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 2) {
    group = '';
    version = segs[1]!;
    rest = segs.slice(2);
  } else if (segs[0] === 'apis' && segs.length >= 3) {
    group = segs[1]!;
    version = segs[2]!;
    rest = segs.slice(3);
  } else return undefined;
  const out: ApiPath = { group, version, watchPrefix: false };
  if (rest[0] === 'watch') {
    out.watchPrefix = true;
    rest = rest.slice(1);
  }
  if (rest.length === 0) return out;
  let plural: string;
  if (rest[0] === 'namespaces' && rest.length >= 3 && resourcesIn(group, version).some((r) => r.namespaced && r.plural === rest[2])) {
    out.namespace = rest[1];
    plural = rest[2]!;
    rest = rest.slice(3);
  } else {
    plural = rest[0]!;
    rest = rest.slice(1);
  }
  const def = findResource(group, version, plural);
  if (def) out.def = def;
  else out.unknownResource = plural;
  if (rest[0] !== undefined) out.name = rest[0];
  if (rest[1] !== undefined) out.subresource = rest.slice(1).join('/');
  return out;
}

/** The authorization verb of a request (get, list, watch, create, update, patch, delete, deletecollection). */
export function verbOf(method: string, path: ApiPath, watchParam: string | undefined): string {
  const watch = path.watchPrefix || watchParam === 'true' || watchParam === '1';
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (watch) return 'watch';
      return path.name === undefined ? 'list' : 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return path.name === undefined ? 'deletecollection' : 'delete';
    default:
      return method.toLowerCase();
  }
}
