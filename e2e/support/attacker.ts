// What the attack suite (e2e/attacks.test.ts) needs to attack the local environment from the
// outside: where its processes are and how much memory they hold, a client certificate of the
// cluster CA for an unprivileged user, and the attacks themselves (half-sent requests, a PING
// flood on an upgraded SPDY connection that is never read).
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { createLocalPki, type CertKeyPair } from '../../src/local/pki.ts';
import { dialUpgrade } from '../../src/streams/http-upgrade.ts';
import { encodeFrame, HeaderCompressor } from '../../src/streams/spdy/frames.ts';

export interface NodeProcesses {
  nodePid: number;
  mockPid: number;
  kubeletPort: number;
  directoryPort: number;
  cciUrl: string;
  cciToken: string;
}

function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

const flag = (args: string[], name: string): string | undefined => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

/** The `burstlet node` and `burstlet mock-cci` processes of `nodeName` in the environment using stateDir. */
export function findNodeProcesses(stateDir: string, nodeName: string): NodeProcesses {
  const pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
  const node = pids.find((p) => {
    const args = cmdline(p);
    return args.includes('node') && flag(args, 'nodename') === nodeName && (flag(args, 'client-ca-file') ?? '').startsWith(stateDir);
  });
  if (node === undefined) throw new Error(`no burstlet node ${nodeName} of ${stateDir}`);
  const nodeArgs = cmdline(node);
  const mock = pids.find((p) => {
    const args = cmdline(p);
    return args.includes('mock-cci') && flag(args, 'state-dir') === join(stateDir, `cci-${nodeName}`);
  });
  if (mock === undefined) throw new Error(`no mock CCI of ${nodeName}`);
  return {
    nodePid: node,
    mockPid: mock,
    kubeletPort: Number(flag(nodeArgs, 'port')),
    directoryPort: Number(flag(nodeArgs, 'service-directory-port')),
    cciUrl: flag(nodeArgs, 'cci-endpoint')!,
    cciToken: readFileSync(flag(nodeArgs, 'cci-token-file')!, 'utf8').trim(),
  };
}

export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no RSS for ${pid}`);
  return Number(m[1]) * 1024;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Samples a process's RSS every 100 ms until stopped; `peak` is the largest seen. */
export function watchRss(pid: number): { stop(): number } {
  let peak = rssBytes(pid);
  const timer = setInterval(() => {
    if (isAlive(pid)) peak = Math.max(peak, rssBytes(pid));
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, isAlive(pid) ? rssBytes(pid) : 0);
    },
  };
}

/** A client certificate of the environment's CA for `commonName`, in no group: authenticated, not privileged. */
export async function clientCertificate(stateDir: string, commonName: string): Promise<CertKeyPair> {
  // A PKI over a copy of the CA only, so that the environment's own certificates stay as they are.
  const dir = mkdtempSync(join(tmpdir(), 'bl-attacker-pki-'));
  try {
    for (const f of ['ca.pem', 'ca-key.pem']) copyFileSync(join(stateDir, f), join(dir, f));
    const pki = await createLocalPki(dir);
    return await pki.issue({ commonName, usage: 'client' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface HalfSentResult {
  /** Connections the server closed within `earlyMs` of their start. */
  closedEarly: number;
  /** Connections the server closed before `waitMs` ran out. */
  closed: number;
}

/**
 * Opens `count` connections (in batches, TLS when `secure`), each sending the start of a
 * request and then nothing; waits up to `waitMs` for the server to close them and destroys
 * what is left.
 */
export async function halfSentRequests(port: number, count: number, opts: { secure: boolean; path: string; earlyMs: number; waitMs: number }): Promise<HalfSentResult> {
  const lifetimes: Promise<number | null>[] = [];
  const sockets: net.Socket[] = [];
  for (let i = 0; i < count; i += 250) {
    const batch = Array.from({ length: Math.min(250, count - i) }, () => {
      const opened = Date.now();
      const start = (s: net.Socket): void => void s.write(`GET ${opts.path} HTTP/1.1\r\nHost: attacker\r\nX-Half: `);
      const s: net.Socket = opts.secure
        ? tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => start(s))
        : net.connect(port, '127.0.0.1', () => start(s));
      s.on('error', () => undefined);
      s.resume();
      sockets.push(s);
      const closed = new Promise<number | null>((resolve) => {
        s.once('close', () => resolve(Date.now() - opened));
        setTimeout(() => resolve(null), opts.waitMs).unref();
      });
      lifetimes.push(closed);
      return new Promise((r) => setTimeout(r, 0));
    });
    await Promise.all(batch);
  }
  const ms = await Promise.all(lifetimes);
  for (const s of sockets) s.destroy();
  return { closedEarly: ms.filter((m) => m !== null && m < opts.earlyMs).length, closed: ms.filter((m) => m !== null).length };
}

export interface FloodResult {
  /** Bytes of PING frames the server took before it dropped the connection. */
  sent: number;
  dropped: boolean;
}

/**
 * Upgrades to SPDY/3.1 port-forward as `client`, then writes PING frames, up to `maxBytes`,
 * without ever reading a byte of the server's answers.
 */
export async function spdyPingFlood(url: URL, client: CertKeyPair, maxBytes: number): Promise<FloodResult> {
  const outcome = await dialUpgrade({
    url,
    method: 'POST',
    headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'portforward.k8s.io' },
    tls: { cert: client.certPem, key: client.keyPem, rejectUnauthorized: false },
  });
  if (!outcome.upgraded) throw new Error(`the upgrade was refused: ${outcome.status} ${outcome.body.toString()}`);
  const socket = outcome.socket;
  socket.pause(); // never read: every echo the server writes stays with it
  const ping = encodeFrame({ type: 'ping', id: 1 }, new HeaderCompressor());
  const chunk = Buffer.concat(Array.from({ length: Math.floor((1 << 20) / ping.length) }, () => ping));
  let dropped = false;
  const gone = new Promise<void>((resolve) => {
    socket.once('close', () => {
      dropped = true;
      resolve();
    });
    socket.on('error', () => undefined);
  });
  let sent = 0;
  while (!dropped && sent < maxBytes) {
    sent += chunk.length;
    if (!socket.write(chunk)) await Promise.race([new Promise((r) => socket.once('drain', r)), gone]);
  }
  socket.destroy();
  return { sent, dropped };
}
