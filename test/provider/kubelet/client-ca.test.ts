// x509 authentication trusts the --client-ca-file CA and nothing else (issue #12 item 10):
// without the flag, client certificates chained to Node's default trust store authenticated.
// The "public" CA is put in that store the way Node allows, NODE_EXTRA_CA_CERTS, in a child
// process that runs two kubelet servers: one without a client CA, one with another CA.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalPki, type LocalPki } from '../../../src/local/pki.ts';

const SRC = resolve(import.meta.dirname, '../../../src');
let dir: string;
let publicCa: LocalPki;
let clientCa: LocalPki;
let child: ChildProcess;
let ports: { noCa: number; withCa: number };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bl-client-ca-'));
  publicCa = await createLocalPki(join(dir, 'public'));
  clientCa = await createLocalPki(join(dir, 'client'));
  const script = join(dir, 'servers.ts');
  writeFileSync(script, `
    import { readFileSync } from 'node:fs';
    import { Readable } from 'node:stream';
    import { KubeletAuth } from '${SRC}/provider/kubelet/auth.ts';
    import { startKubeletServer } from '${SRC}/provider/kubelet/server.ts';
    import { selfSignedServingCert } from '${SRC}/provider/kubelet/serving-cert.ts';
    const auth = new KubeletAuth({ anonymous: false, webhookTokens: false, reviews: { tokenReview: async () => null, subjectAccessReview: async () => true } });
    const backend = { pods: () => [], findPod: () => undefined, logs: async () => Readable.from([]), exec: async () => { throw new Error('no'); },
      attach: async () => { throw new Error('no'); }, portForward: async () => { throw new Error('no'); }, stats: async () => [] };
    const tls = await selfSignedServingCert('vk', ['127.0.0.1']);
    const base = { nodeName: 'vk', host: '127.0.0.1', port: 0, tls, auth, backend };
    const noCa = await startKubeletServer(base);
    const withCa = await startKubeletServer({ ...base, clientCaPem: readFileSync(${JSON.stringify(join(dir, 'client', 'ca.pem'))}, 'utf8') });
    console.log(JSON.stringify({ noCa: noCa.port, withCa: withCa.port }));
  `);
  child = spawn(process.execPath, [script], { env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, 'public', 'ca.pem') }, stdio: ['ignore', 'pipe', 'inherit'] });
  ports = await new Promise((res, rej) => {
    child.stdout!.once('data', (d: Buffer) => res(JSON.parse(d.toString()) as typeof ports));
    child.once('exit', (code) => rej(new Error(`the server process exited ${code}`)));
  });
}, 30_000);

afterAll(() => {
  child?.kill();
  rmSync(dir, { recursive: true, force: true });
});

function status(port: number, client: { certPem: string; keyPem: string }): Promise<number> {
  return new Promise((res, rej) => {
    https.get(`https://127.0.0.1:${port}/healthz`, { cert: client.certPem, key: client.keyPem, rejectUnauthorized: false, agent: false }, (r) => {
      r.resume();
      res(r.statusCode!);
    }).once('error', rej);
  });
}

describe('kubelet x509 client authentication', () => {
  it('without --client-ca-file no certificate authenticates, not even one the default trust store accepts', async () => {
    expect(await status(ports.noCa, publicCa.admin)).toBe(401);
  });

  it('with --client-ca-file only that CA\'s certificates authenticate', async () => {
    expect(await status(ports.withCa, publicCa.admin)).toBe(401);
    expect(await status(ports.withCa, clientCa.admin)).toBe(200);
  });
});
