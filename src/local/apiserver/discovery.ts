// Discovery documents (/api, /apis, /apis/{g}, /{api|apis}/.../{v}, /version) and the OpenAPI v3
// documents kubectl reads to decide on server-side field validation: for each group-version
// a PATCH operation per kind, tagged with x-kubernetes-group-version-kind and declaring the
// `fieldValidation` query parameter (kubectl's queryParamVerifierV3 looks for exactly that).
import { createHash } from 'node:crypto';
import { apiVersionOf, EXTENSION_SUBRESOURCES, groupVersions, resourcesIn, verbsOf, type ResourceDef } from './resources.ts';
import type { JsonObject } from './patch.ts';

export const SERVER_VERSION = { major: '1', minor: '33', gitVersion: 'v1.33.0-burstlet', gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean', buildDate: '2026-01-01T00:00:00Z', goVersion: 'go1.24.0', compiler: 'gc', platform: 'linux/amd64' };

export function apiVersions(serverAddress: string): JsonObject {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function apiGroup(group: string): JsonObject {
  const versions = groupVersions()
    .filter((gv) => gv.group === group)
    .map((gv) => ({ groupVersion: apiVersionOf(gv), version: gv.version }));
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions, preferredVersion: versions[0] };
}

export function apiGroupList(): JsonObject {
  const groups = [...new Set(groupVersions().map((gv) => gv.group))].filter((g) => g !== '');
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map(apiGroup) };
}

export function apiGroupDoc(group: string): JsonObject | undefined {
  return groupVersions().some((gv) => gv.group === group && group !== '') ? apiGroup(group) : undefined;
}

function storageVersionHash(r: ResourceDef): string {
  return createHash('sha256').update(`${r.group}/${r.version}/${r.kind}`).digest('base64').slice(0, 11);
}

export function apiResourceList(group: string, version: string): JsonObject | undefined {
  const defs = resourcesIn(group, version);
  if (defs.length === 0) return undefined;
  const resources: JsonObject[] = [];
  for (const r of defs) {
    resources.push({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: verbsOf(r),
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
      ...(r.categories ? { categories: r.categories } : {}),
      ...(r.review ? {} : { storageVersionHash: storageVersionHash(r) }),
    });
    for (const sub of r.subresources) {
      const verbs = sub === 'status' || sub === 'scale' ? ['get', 'patch', 'update'] : ['create'];
      const kind = { binding: 'Binding', eviction: 'Eviction', token: 'TokenRequest', scale: 'Scale' }[sub] ?? r.kind;
      const gv = { eviction: { group: 'policy', version: 'v1' }, token: { group: 'authentication.k8s.io', version: 'v1' }, scale: { group: 'autoscaling', version: 'v1' } }[sub] ?? {};
      resources.push({ name: `${r.plural}/${sub}`, singularName: '', namespaced: r.namespaced, kind, verbs, ...gv });
    }
  }
  for (const [name, sub] of Object.entries(EXTENSION_SUBRESOURCES)) {
    if (sub.group === group && sub.version === version) resources.push({ name, singularName: '', namespaced: true, kind: sub.kind, verbs: sub.verbs });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources };
}

/** "api/v1" or "apis/<group>/<version>": the keys of /openapi/v3's paths. */
export function openApiPathOf(gv: { group: string; version: string }): string {
  return gv.group === '' ? `api/${gv.version}` : `apis/${gv.group}/${gv.version}`;
}

const FIELD_VALIDATION = {
  name: 'fieldValidation',
  in: 'query',
  description: 'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields: Ignore, Warn or Strict.',
  schema: { type: 'string', uniqueItems: true },
};

function groupVersionDoc(group: string, version: string): JsonObject {
  const paths: JsonObject = {};
  for (const r of resourcesIn(group, version)) {
    if (r.review) continue;
    const base = `/${openApiPathOf(r)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}/{name}`;
    paths[base] = {
      patch: {
        description: `partially update the specified ${r.kind}`,
        operationId: `patch${r.kind}`,
        parameters: [FIELD_VALIDATION, { name: 'dryRun', in: 'query', schema: { type: 'string' } }, { name: 'fieldManager', in: 'query', schema: { type: 'string' } }],
        responses: { '200': { description: 'OK' } },
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': { group, version, kind: r.kind },
      },
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: SERVER_VERSION.gitVersion }, paths, components: { schemas: {} } };
}

export interface OpenApiV3 {
  root: JsonObject;
  /** Serialized per-group-version documents, keyed by "api/v1" / "apis/g/v". */
  docs: Map<string, string>;
}

export function buildOpenApiV3(): OpenApiV3 {
  const docs = new Map<string, string>();
  const paths: JsonObject = {};
  for (const gv of groupVersions()) {
    const key = openApiPathOf(gv);
    const body = JSON.stringify(groupVersionDoc(gv.group, gv.version));
    docs.set(key, body);
    const hash = createHash('sha512').update(body).digest('hex').slice(0, 64).toUpperCase();
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
  }
  return { root: { paths }, docs };
}
