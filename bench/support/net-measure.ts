// What bench/sidecar.ts measures with, on real sockets: throughput each way, request/response
// latency, UDP query rate, and a child process's CPU time and RSS.
import type { ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';

/**
 * A path that stops moving bytes for this long fails its measurement, naming it, instead of
 * hanging the benchmark (a stalled proxy is a finding, not a reason to wait forever).
 */
const STALL_MS = 15_000;

function stallGuard(s: net.Socket, what: string): void {
  s.setTimeout(STALL_MS, () => s.destroy(new Error(`${what}: no progress for ${STALL_MS / 1000} s`)));
}

/** Resolves on the socket's `event`, rejects if the socket fails first. */
function socketEvent(s: net.Socket, event: string): Promise<void> {
  return new Promise((resolve, reject) => {
    s.once(event, () => resolve());
    s.once('error', reject);
  });
}

export function ask<T>(child: ChildProcess, msg?: object): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    if (msg) child.send(msg);
  });
}

/** Download: the source sends `bytes` through the path; Gbit/s as the client receives them. */
export async function download(host: string, port: number, bytes: number): Promise<number> {
  const s = net.connect({ host, port, noDelay: true });
  stallGuard(s, `download through ${host}:${port}`);
  await socketEvent(s, 'connect');
  const ask = Buffer.alloc(8);
  ask.writeBigUInt64BE(BigInt(bytes));
  const t0 = performance.now();
  s.write(ask);
  let got = 0;
  s.on('data', (d: Buffer) => void (got += d.length));
  await socketEvent(s, 'end');
  const secs = (performance.now() - t0) / 1000;
  s.destroy();
  if (got < bytes) throw new Error(`download through ${host}:${port} got ${got} of ${bytes} bytes`);
  return (got * 8) / secs / 1e9;
}

/** Upload: `bytes` to the sink through the path; Gbit/s until the sink acknowledged the end. */
export async function upload(host: string, port: number, bytes: number): Promise<number> {
  const s = net.connect({ host, port, noDelay: true });
  stallGuard(s, `upload through ${host}:${port}`);
  await socketEvent(s, 'connect');
  const chunk = Buffer.alloc(256 * 1024);
  const t0 = performance.now();
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    if (!s.write(chunk)) await socketEvent(s, 'drain');
  }
  s.end();
  await socketEvent(s, 'data');
  const secs = (performance.now() - t0) / 1000;
  s.destroy();
  return (bytes * 8) / secs / 1e9;
}

/**
 * 1 KiB request/response round trips, n on each of the paths, taking turns one round trip at a
 * time: on a small machine the wake-up of the other process dominates a loopback round trip and
 * drifts by tens of µs over seconds, so paths measured one after the other differ by that drift.
 */
export async function latencies(paths: { host: string; port: number }[], n: number): Promise<{ p50: number; p99: number }[]> {
  const sockets = await Promise.all(paths.map(async ({ host, port }) => {
    const s = net.connect({ host, port, noDelay: true });
    await socketEvent(s, 'connect');
    return s;
  }));
  const msg = Buffer.alloc(1024, 97);
  const samples: number[][] = paths.map(() => []);
  const roundTrip = (s: net.Socket): Promise<void> => new Promise((resolve) => {
    let got = 0;
    const on = (d: Buffer): void => {
      got += d.length;
      if (got < msg.length) return;
      s.off('data', on);
      resolve();
    };
    s.on('data', on);
    s.write(msg);
  });
  for (let i = 0; i < n; i++) {
    for (const [k, s] of sockets.entries()) {
      const t0 = performance.now();
      await roundTrip(s);
      samples[k]!.push((performance.now() - t0) * 1000);
    }
  }
  for (const s of sockets) s.destroy();
  return samples.map((xs) => {
    xs.sort((a, b) => a - b);
    return { p50: xs[Math.floor(n * 0.5)]!, p99: xs[Math.floor(n * 0.99)]! };
  });
}

/** DNS-sized (40-byte) queries, 32 outstanding, for `ms`. */
export async function udpQps(host: string, port: number, ms: number): Promise<number> {
  const u = dgram.createSocket('udp4');
  const q = Buffer.alloc(40, 1);
  let replies = 0;
  let stop = false;
  u.on('message', () => {
    replies++;
    if (!stop) u.send(q, port, host);
  });
  await new Promise<void>((r) => u.bind(0, '127.0.0.1', r));
  for (let i = 0; i < 32; i++) u.send(q, port, host);
  const t0 = performance.now();
  // Lost datagrams would shrink the window: top it up every 50 ms.
  const topUp = setInterval(() => u.send(q, port, host), 50);
  await new Promise((r) => setTimeout(r, ms));
  stop = true;
  clearInterval(topUp);
  const secs = (performance.now() - t0) / 1000;
  u.close();
  return replies / secs;
}

export async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** CPU time (user + system) a process has used, in ms (clock ticks are 10 ms on Linux). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export const rssKiB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

export const fmt = (n: number, d = 1): string => n.toFixed(d);
export const pct = (p: number[]): number => {
  const s = [...p].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))]!;
};
