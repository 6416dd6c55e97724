import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bearerToken, loadKubeConfig } from '../../src/kube/kubeconfig.ts';

const dir = mkdtempSync(join(tmpdir(), 'bl-kc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const config = (user: string, cluster = 'certificate-authority-data: Q0E=') => `apiVersion: v1
kind: Config
current-context: c
contexts: [{name: c, context: {cluster: k, user: u}}]
clusters: [{name: k, cluster: {server: "https://127.0.0.1:6443/", ${cluster}}}]
users: [{name: u, user: {${user}}}]
`;

describe('loadKubeConfig', () => {
  it('reads inline certificate material', () => {
    const c = loadKubeConfig(write('a', config('client-certificate-data: Q0VSVA==, client-key-data: S0VZ')));
    expect(c.server).toBe('https://127.0.0.1:6443');
    expect(c.ca!.toString()).toBe('CA');
    expect(c.cert!.toString()).toBe('CERT');
    expect(c.key!.toString()).toBe('KEY');
    expect(c.insecureSkipTLSVerify).toBe(false);
  });

  it('reads files relative to the kubeconfig and token files on demand', () => {
    write('ca.crt', 'FILECA');
    write('tok', 'secret-1\n');
    const c = loadKubeConfig(write('b', config('tokenFile: tok', 'certificate-authority: ca.crt')));
    expect(c.ca!.toString()).toBe('FILECA');
    expect(bearerToken(c)).toBe('secret-1');
    write('tok', 'secret-2\n');
    expect(bearerToken(c)).toBe('secret-2');
  });

  it('refuses exec credentials and a missing current context with what to do', () => {
    expect(() => loadKubeConfig(write('c', config('exec: {command: aws}')))).toThrow(/exec and auth-provider credentials are not supported/);
    expect(() => loadKubeConfig(write('d', 'apiVersion: v1\nkind: Config\n'))).toThrow(/no current-context/);
  });
});
