// A minimal OpenAPI v2 document in gnostic's protobuf encoding (the only form client-go
// reads from /openapi/v2). kubectl 1.27 fetches it before create/apply and checks that each
// kind's PATCH operation declares the `fieldValidation` query parameter; when it does,
// kubectl leaves validation to the server. No schemas are included: kubectl then falls back
// to its compiled-in types for patch computation, as with any server lacking a definition.
import { openApiPathOf } from './discovery.ts';
import { RESOURCES } from './resources.ts';

type Field = [number, string | Buffer];

function varint(n: number): Buffer {
  const bytes: number[] = [];
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

/** Encodes a message whose fields are all length-delimited (strings and sub-messages). */
export function message(fields: Field[]): Buffer {
  return Buffer.concat(
    fields.flatMap(([num, value]) => {
      const body = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
      return [varint((num << 3) | 2), varint(body.length), body];
    }),
  );
}

// Field numbers from gnostic's openapiv2/OpenAPIv2.proto.
const namedAny = (name: string, yaml: string): Buffer => message([[1, name], [2, message([[2, yaml]])]]);
const queryParam = (name: string): Buffer =>
  message([[1, message([[2, message([[3, message([[2, 'query'], [4, name], [6, 'string']])]])]])]]);

function patchOperation(group: string, version: string, kind: string): Buffer {
  return message([
    [5, `patch${kind}`],
    [8, queryParam('fieldValidation')],
    [8, queryParam('dryRun')],
    [8, queryParam('fieldManager')],
    [13, namedAny('x-kubernetes-group-version-kind', `group: "${group}"\nkind: ${kind}\nversion: ${version}\n`)],
  ]);
}

export function buildOpenApiV2(version: string): Buffer {
  const paths: Field[] = RESOURCES.filter((r) => !r.review).map((r) => {
    const path = `/${openApiPathOf(r)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}/{name}`;
    return [2, message([[1, path], [2, message([[8, patchOperation(r.group, r.version, r.kind)]])]])];
  });
  return message([
    [1, '2.0'],
    [2, message([[1, 'Kubernetes'], [2, version]])],
    [8, message(paths)],
  ]);
}
