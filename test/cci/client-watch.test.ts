import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CciClient } from '../../src/cci/client.ts';
import type { CciPod, CciWatchEvent } from '../../src/cci/types.ts';

let server: Server | undefined;
afterEach(() => server?.close());

/** A loopback server answering the watch with `chunks`, written one by one. */
async function serveWatch(chunks: Buffer[]): Promise<string> {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const next = (i: number): void => {
      if (i === chunks.length) return void res.end();
      res.write(chunks[i], () => setTimeout(() => next(i + 1), 5));
    };
    next(0);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const line = (name: string, note: string): string =>
  JSON.stringify({ type: 'ADDED', object: { apiVersion: 'cci/v2', kind: 'Pod', metadata: { name, annotations: { note } }, spec: { containers: [] } } }) + '\n';

describe('CciClient.watchPods', () => {
  it('delivers every event whole: several lines in one chunk, a line over chunks, a character split between chunks', async () => {
    const text = line('a', 'x') + line('b', 'y') + line('c', 'héllo wörld ✓') + line('d', 'z');
    const bytes = Buffer.from(text);
    const splitAt = bytes.indexOf(Buffer.from('✓')) + 1; // inside the 3-byte character
    const url = await serveWatch([bytes.subarray(0, 10), bytes.subarray(10, splitAt), bytes.subarray(splitAt)]);
    const client = new CciClient({ endpoint: url, token: 't', namespace: 'default' });
    const seen: CciWatchEvent[] = [];
    await client.watchPods('1', (e) => seen.push(e), new AbortController().signal);
    await client.close();
    const pods = seen.map((e) => e.object as CciPod);
    expect(pods.map((p) => p.metadata.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(pods[2]!.metadata.annotations?.['note']).toBe('héllo wörld ✓');
  });
});
