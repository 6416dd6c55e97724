// The sidecar's end of the service directory: one WebSocket to burstlet, each side proving it
// holds the pod's credential and every message checked (directory-auth.ts), resumed from the
// last revision after any disconnect (with backoff), and the forwarding table recomputed after
// each message. Meanwhile the last table keeps serving. A connection that cannot be made moves
// on to the next place the directory may be (directory-candidates.ts: another burstlet replica
// after a leader handover).
import { WebSocket } from 'ws';
import type { Logger } from '../log/logger.ts';
import {
  isNonce, MessageOpener, newNonce, PROOF_SCHEME, sessionKey, upgradeProof,
} from '../network/service-directory/directory-auth.ts';
import {
  decodeDirectoryMessage, directoryHeaders, type DirectoryMessage, type DirService, type DirSlice,
} from '../network/service-directory/protocol.ts';
import { forwardingTable, type ForwardingEntry } from './rules.ts';
import { directoryCandidates } from './directory-candidates.ts';
import type { ServiceRef } from '../network/service-ref.ts';
import { errorMessage } from '../log/error-message.ts';

export interface DirectoryClientOptions {
  url: string;
  /** The Service whose endpoints are burstlet's replicas: tried in turn when `url` cannot be reached. */
  fallbackService?: ServiceRef;
  podUid: string;
  credential: string;
  /** PEM of the CA that signed the directory's certificate (wss). */
  ca?: string;
  log: Logger;
  onTable(table: Map<string, ForwardingEntry>): void;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * Silence (no ping, no message) after which the connection is presumed dead and replaced;
   * the directory pings every 30 s, so a host that vanished is noticed within this time.
   */
  livenessMs?: number;
}

/** The directory as the sidecar holds it; applying a message returns false when it does not fit. */
export class DirectoryReplica {
  epoch = '';
  revision = -1;
  readonly services = new Map<string, DirService>();
  readonly slices = new Map<string, DirSlice>();

  get hasState(): boolean {
    return this.revision >= 0;
  }

  apply(msg: DirectoryMessage): boolean {
    if (msg.type === 'snapshot') {
      this.services.clear();
      this.slices.clear();
      for (const s of msg.services) this.services.set(`${s.namespace}/${s.name}`, s);
      for (const s of msg.slices) this.slices.set(`${s.namespace}/${s.name}`, s);
    } else {
      if (msg.epoch !== this.epoch || msg.revision !== this.revision + 1) return false;
      const c = msg.change;
      if (c.kind === 'Service') {
        if (c.service) this.services.set(c.key, c.service);
        else this.services.delete(c.key);
      } else if (c.slice) this.slices.set(c.key, c.slice);
      else this.slices.delete(c.key);
    }
    this.epoch = msg.epoch;
    this.revision = msg.revision;
    return true;
  }

  table(): Map<string, ForwardingEntry> {
    return forwardingTable(this.services.values(), this.slices.values());
  }
}

export class DirectoryClient {
  readonly replica = new DirectoryReplica();
  readonly #opts: DirectoryClientOptions;
  #ws: WebSocket | null = null;
  #backoff: number;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #connected = false;
  #pending = false;
  #liveness: NodeJS.Timeout | undefined;
  /** Which of the candidate URLs the next connection tries. */
  #candidate = 0;

  constructor(opts: DirectoryClientOptions) {
    this.#opts = opts;
    this.#backoff = opts.minBackoffMs ?? 250;
  }

  get connected(): boolean {
    return this.#connected;
  }

  start(): void {
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#liveness);
    this.#ws?.terminate();
  }

  #connect(): void {
    const { log, podUid, credential } = this.#opts;
    const candidates = directoryCandidates(this.#opts.url, this.replica.slices.values(), this.#opts.fallbackService);
    const url = candidates[this.#candidate % candidates.length]!;
    let opened = false;
    const fields = {
      podUid,
      clientNonce: newNonce(),
      resumeFrom: this.replica.hasState ? `${this.replica.epoch}:${this.replica.revision}` : '',
    };
    const headers: Record<string, string> = {
      authorization: `${PROOF_SCHEME} ${upgradeProof(credential, fields)}`,
      [directoryHeaders.podUid]: podUid,
      [directoryHeaders.clientNonce]: fields.clientNonce,
    };
    if (fields.resumeFrom !== '') headers[directoryHeaders.resumeFrom] = fields.resumeFrom;
    const ws = new WebSocket(url, { headers, perMessageDeflate: false, ...(this.#opts.ca ? { ca: this.#opts.ca } : {}) });
    this.#ws = ws;
    let opener: MessageOpener | undefined;
    ws.on('upgrade', (res) => {
      const serverNonce = res.headers[directoryHeaders.serverNonce];
      if (typeof serverNonce === 'string' && isNonce(serverNonce)) {
        opener = new MessageOpener(sessionKey(credential, { podUid, clientNonce: fields.clientNonce, serverNonce }));
      }
    });
    const alive = (): void => {
      clearTimeout(this.#liveness);
      this.#liveness = setTimeout(() => {
        log.warn({ url }, 'no word from the service directory; reconnecting');
        ws.terminate();
      }, this.#opts.livenessMs ?? 75_000);
    };
    ws.on('ping', alive);
    ws.on('message', alive);
    ws.on('open', () => {
      if (!opener) {
        log.error({ url }, 'the server at --directory-url did not authenticate itself as a burstlet service directory (no server nonce)');
        ws.terminate();
        return;
      }
      alive();
      opened = true;
      this.#connected = true;
      this.#backoff = this.#opts.minBackoffMs ?? 250;
      log.info({ url, resumeFrom: headers[directoryHeaders.resumeFrom] }, 'connected to the service directory');
    });
    ws.on('unexpected-response', (_req, res) => {
      log.error({ url, status: res.statusCode }, res.statusCode === 401
        ? 'the service directory refused this pod\'s credential; check --pod-uid and the credential'
        : 'the service directory answered without upgrading');
      ws.terminate();
    });
    ws.on('message', (data: Buffer, isBinary) => {
      if (opener) this.#onMessage(ws, opener, data, isBinary);
    });
    ws.on('error', (err) => log.warn({ url, err: err.message }, 'service directory connection error'));
    ws.on('close', () => {
      clearTimeout(this.#liveness);
      this.#connected = false;
      if (this.#ws === ws) this.#ws = null;
      if (this.#stopped) return;
      // A connection that never opened: the next attempt tries the next place.
      if (!opened) this.#candidate = (this.#candidate + 1) % candidates.length;
      const delay = Math.round(this.#backoff * (0.75 + Math.random() / 2));
      this.#backoff = Math.min(this.#backoff * 2, this.#opts.maxBackoffMs ?? 10_000);
      log.info({ delayMs: delay }, 'reconnecting to the service directory');
      this.#timer = setTimeout(() => this.#connect(), delay);
    });
  }

  #onMessage(ws: WebSocket, opener: MessageOpener, data: Buffer, isBinary: boolean): void {
    let msg: DirectoryMessage;
    try {
      if (!isBinary) throw new Error('unsealed text message');
      msg = decodeDirectoryMessage(opener.open(data).toString());
    } catch (err) {
      this.#opts.log.error({ err: errorMessage(err) }, 'bad message from the service directory; reconnecting');
      ws.terminate();
      return;
    }
    if (!this.replica.apply(msg)) {
      // A gap: forget the resume point so the reconnect brings a fresh snapshot.
      this.#opts.log.warn({ have: this.replica.revision, got: msg.revision }, 'directory revision gap; resyncing');
      this.replica.epoch = '';
      ws.terminate();
      return;
    }
    // A burst of deltas (a catch-up) recomputes the table once.
    if (this.#pending) return;
    this.#pending = true;
    setImmediate(() => {
      this.#pending = false;
      this.#opts.onTable(this.replica.table());
    });
  }
}
