// Ports for the local environment's listeners (the control plane's components, kubelet and
// webhook endpoints), which must be chosen before the process that listens on them starts.
// Port 0's answer comes from the kernel's ephemeral range, the same range every outgoing
// connection takes its source port from: between our probe and the component's bind, a
// connection of the just-started kube-apiserver could take it ("bind: address already in use",
// seen in CI). So the port is drawn below that range, where no connection is given one.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Lowest port drawn: above the well-known and common service ports. */
const LOWEST = 10_000;
const ATTEMPTS = 200;

/** The first port of the kernel's ephemeral range (Linux's default where it cannot be read). */
export function ephemeralRangeStart(procFile = '/proc/sys/net/ipv4/ip_local_port_range'): number {
  try {
    const first = Number(readFileSync(procFile, 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > LOWEST ? first : 32_768;
  } catch {
    return 32_768;
  }
}

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Ports this process has handed out: never twice, even once their listener has gone. */
const handedOut = new Set<number>();

/** A TCP port on loopback free now, below the ephemeral range, never handed out before by this process. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const end = ephemeralRangeStart();
  for (let i = 0; i < ATTEMPTS; i++) {
    const port = LOWEST + Math.floor(Math.random() * (end - LOWEST));
    if (handedOut.has(port) || !(await canListen(port, host))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port on ${host} in ${LOWEST}–${end - 1} after ${ATTEMPTS} attempts`);
}
