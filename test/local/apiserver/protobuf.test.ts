import { describe, expect, it } from 'vitest';
import { decodeProtobuf } from '../../../src/local/apiserver/protobuf.ts';
import { message } from '../../../src/local/apiserver/openapi-v2.ts';

// Encodes the way client-go does: "k8s\0" + runtime.Unknown{typeMeta, raw}.
function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), message([[1, message([[1, apiVersion], [2, kind]])], [2, raw]])]);
}
const varintField = (num: number, value: number): Buffer => Buffer.from([(num << 3) | 0, value]);
const mapEntry = (k: string, v: string | Buffer): Buffer => message([[1, k], [2, v]]);

describe('protobuf request bodies', () => {
  it('decodes a ConfigMap with labels and data', () => {
    const meta = message([[1, 'cfg'], [11, mapEntry('app', 'web')]]);
    const raw = message([[1, meta], [2, mapEntry('a', 'b')], [2, mapEntry('c', 'd')]]);
    expect(decodeProtobuf(envelope('v1', 'ConfigMap', raw), 'ConfigMap')).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', labels: { app: 'web' } }, data: { a: 'b', c: 'd' } });
  });

  it('decodes Secret data as base64, and Service ports with int and named target ports', () => {
    const secret = message([[1, message([[1, 's']])], [2, mapEntry('k', Buffer.from('v'))], [3, 'Opaque']]);
    expect(decodeProtobuf(envelope('v1', 'Secret', secret), 'Secret')).toMatchObject({ data: { k: 'dg==' }, type: 'Opaque' });
    const port = (name: string, p: number, target: Buffer) => Buffer.concat([message([[1, name], [2, 'TCP'], [4, target]]), varintField(3, p)]);
    const intTarget = Buffer.concat([varintField(1, 0), varintField(2, 80)]);
    const strTarget = Buffer.concat([varintField(1, 1), message([[3, 'dns']])]);
    const ports = [port('http', 80, intTarget), port('dns', 53, strTarget)];
    const svc = message([[1, message([[1, 'svc']])], [2, Buffer.concat([message([[1, ports[0]!], [1, ports[1]!]]), message([[2, mapEntry('app', 'x')]])])]]);
    const decoded = decodeProtobuf(envelope('v1', 'Service', svc), 'Service') as { spec: { ports: unknown[]; selector: unknown } };
    expect(decoded.spec.ports).toEqual([
      { name: 'http', protocol: 'TCP', targetPort: 80, port: 80 },
      { name: 'dns', protocol: 'TCP', targetPort: 'dns', port: 53 },
    ]);
    expect(decoded.spec.selector).toEqual({ app: 'x' });
  });

  it('rejects bodies without the envelope and kinds it cannot decode', () => {
    expect(() => decodeProtobuf(Buffer.from('{}'), 'Pod')).toThrow(/envelope/);
    expect(() => decodeProtobuf(envelope('v1', 'Pod', Buffer.alloc(0)), 'Pod')).toThrow(/send Pod as application\/json/);
  });
});
