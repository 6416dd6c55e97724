// One ClusterIP:port/UDP, bound to ClusterIP:<a port of its own> that the Service port is
// DNATed to (dnat.ts; conntrack rewrites the replies' source back to ClusterIP:port): a flow
// per client address:port, each with its own upstream socket to the backend the balancer
// chose, so replies go back to the right client. Flows end after
// an idle timeout, or at once when their backend leaves the Service (as kube-proxy flushes
// conntrack), so the next datagram picks a live backend.
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from '../log/logger.ts';
import type { Balancer } from './balancer.ts';
import type { Backend } from './rules.ts';

export interface UdpProxyOptions {
  idleTimeoutMs: number;
  log: Logger;
}

interface Flow {
  upstream: dgram.Socket;
  backend: Backend;
  lastActive: number;
  /** Datagrams that arrived while the upstream socket was still connecting (dgram cannot queue them). */
  early: Buffer[] | null;
}

export class UdpServicePort {
  readonly #socket: dgram.Socket;
  readonly #flows = new Map<string, Flow>();
  readonly #balancer: Balancer;
  readonly #opts: UdpProxyOptions;
  readonly #name: string;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(name: string, clusterIP: string, balancer: Balancer, opts: UdpProxyOptions) {
    this.#name = name;
    this.#balancer = balancer;
    this.#opts = opts;
    this.#socket = dgram.createSocket(isIPv6(clusterIP) ? 'udp6' : 'udp4');
    this.#socket.on('message', (msg, rinfo) => this.#fromClient(msg, rinfo));
  }

  get flowCount(): number {
    return this.#flows.size;
  }

  /** The port the kernel picked on the ClusterIP (valid once listen() resolved). */
  get localPort(): number {
    return this.#socket.address().port;
  }

  /** Binds host:port, never the Service port (the app's): the proxier's preferred port, or 0 for the kernel's pick. */
  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        this.#socket.close(); // A socket whose bind failed cannot bind again: release it.
        reject(err);
      };
      this.#socket.once('error', onError);
      this.#socket.bind({ address: host, port, exclusive: true }, () => {
        this.#socket.off('error', onError);
        this.#socket.on('error', (err) => this.#opts.log.error({ err, servicePort: this.#name }, 'udp listener error'));
        const every = Math.max(100, Math.floor(this.#opts.idleTimeoutMs / 2));
        this.#sweeper = setInterval(() => this.#sweep(), every).unref();
        resolve();
      });
    });
  }

  /** Called after the balancer's backends changed: flows to backends that left are ended. */
  backendsChanged(): void {
    const alive = new Set(this.#balancer.backends.map((b) => `${b.address}|${b.port}`));
    for (const [key, flow] of this.#flows) {
      if (!alive.has(`${flow.backend.address}|${flow.backend.port}`)) this.#end(key, flow);
    }
  }

  close(): Promise<void> {
    clearInterval(this.#sweeper);
    for (const [key, flow] of this.#flows) this.#end(key, flow);
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }

  #fromClient(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const key = `${rinfo.address}|${rinfo.port}`;
    let flow = this.#flows.get(key);
    if (!flow) {
      const backend = this.#balancer.order(rinfo.address)[0];
      if (!backend) return; // No endpoints: the datagram is dropped, as kube-proxy rejects it.
      flow = this.#open(key, backend, rinfo);
    }
    flow.lastActive = Date.now();
    if (flow.early) flow.early.push(msg);
    else flow.upstream.send(msg);
  }

  #open(key: string, backend: Backend, client: dgram.RemoteInfo): Flow {
    // Connected: the kernel filters replies to the backend, sends skip the address lookup, and a
    // backend's ICMP port-unreachable ends the flow (the next datagram picks another backend).
    const upstream = dgram.createSocket(isIPv6(backend.address) ? 'udp6' : 'udp4');
    const flow: Flow = { upstream, backend, lastActive: Date.now(), early: [] };
    upstream.connect(backend.port, backend.address, () => {
      for (const m of flow.early ?? []) upstream.send(m);
      flow.early = null;
    });
    upstream.on('message', (reply) => {
      flow.lastActive = Date.now();
      this.#socket.send(reply, client.port, client.address);
    });
    upstream.on('error', (err) => {
      this.#opts.log.debug({ servicePort: this.#name, backend, err: err.message }, 'udp flow error');
      this.#end(key, flow);
    });
    this.#flows.set(key, flow);
    this.#balancer.connected(client.address, backend);
    return flow;
  }

  #end(key: string, flow: Flow): void {
    if (this.#flows.get(key) !== flow) return;
    this.#flows.delete(key);
    flow.upstream.close();
  }

  #sweep(): void {
    const deadline = Date.now() - this.#opts.idleTimeoutMs;
    for (const [key, flow] of this.#flows) if (flow.lastActive < deadline) this.#end(key, flow);
  }
}
