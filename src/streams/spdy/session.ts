// A SPDY/3.1 session over one socket, in either role. It behaves like the Go peer it talks to
// (moby/spdystream, used by kubectl, kube-apiserver and the kubelet): no flow-control windows —
// SETTINGS and WINDOW_UPDATE are read and ignored, never sent — and backpressure comes from the
// socket itself: when a stream's reader falls behind, the whole socket pauses, as spdystream's
// unbuffered channels do. Peer pings are echoed; garbage ends this session, never the process.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import {
  encodeDataHeader,
  encodeFrame,
  FrameParser,
  GOAWAY,
  HeaderCompressor,
  RST,
  type Frame,
  type SpdyHeaders,
} from './frames.ts';
import { SpdyStream, type StreamOwner } from './stream.ts';

export type SpdyRole = 'server' | 'client';

export interface SpdySessionOptions {
  /** Closes the session when nothing is read or written for this long (0: never). */
  idleTimeoutMs?: number;
  /** How long createStream waits for the peer's SYN_REPLY. */
  replyTimeoutMs?: number;
}

/** Largest DATA payload we send in one frame; big enough for throughput, small enough to interleave. */
const MAX_DATA_CHUNK = 128 * 1024;

/**
 * Control frames we owe the peer (PING echoes, SYN_REPLY, RST_STREAM answers) that its socket
 * has not taken yet. A peer that sends them and never reads would otherwise make us queue
 * without end; past this many the session is dropped. A reading peer never comes near it (the
 * Go peer pings every 5 s: this is over an hour of a reader that stopped reading entirely).
 */
export const MAX_PEER_CONTROL_BACKLOG = 1024;
/**
 * Streams the peer may hold open at once; further SYN_STREAMs are refused (RST_STREAM
 * REFUSED_STREAM) until some end. kubectl port-forward uses two per forwarded connection.
 */
export const MAX_PEER_STREAMS = 1000;

export interface SpdySessionEvents {
  stream: [stream: SpdyStream];
  close: [error: Error | null];
}

export class SpdySession extends EventEmitter<SpdySessionEvents> implements StreamOwner {
  readonly role: SpdyRole;
  private readonly socket: Duplex;
  private readonly parser = new FrameParser();
  private readonly compressor = new HeaderCompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private readonly pendingReplies = new Map<number, { resolve: (s: SpdyStream) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private readonly blocked = new Set<SpdyStream>();
  private nextStreamId: number;
  private lastPeerStreamId = 0;
  private goingAway = false;
  private closedFlag = false;
  private corked = false;
  /** Our answers to the peer's control frames not yet taken by the socket (MAX_PEER_CONTROL_BACKLOG). */
  private controlBacklog = 0;
  private peerStreams = 0;
  private readonly replyTimeoutMs: number;
  /** Resolves once the socket is gone. */
  readonly closed: Promise<Error | null>;

  constructor(socket: Duplex, role: SpdyRole, options: SpdySessionOptions = {}, head?: Buffer) {
    super();
    this.socket = socket;
    this.role = role;
    this.nextStreamId = role === 'client' ? 1 : 2;
    this.replyTimeoutMs = options.replyTimeoutMs ?? 30_000;
    this.closed = new Promise((resolve) => this.once('close', resolve));
    if ('setNoDelay' in socket && typeof socket.setNoDelay === 'function') (socket.setNoDelay as (v: boolean) => void)(true);
    if (options.idleTimeoutMs && 'setTimeout' in socket && typeof socket.setTimeout === 'function') {
      (socket.setTimeout as (ms: number, cb: () => void) => void)(options.idleTimeoutMs, () => this.destroy(new Error('SPDY session idle timeout')));
    }
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy(null));
    socket.on('end', () => this.destroy(null));
    if (head && head.length > 0) queueMicrotask(() => this.receive(head));
  }

  get isClosed(): boolean {
    return this.closedFlag;
  }

  /** Opens a stream and waits for the peer's SYN_REPLY. */
  createStream(headers: SpdyHeaders, fin = false): Promise<SpdyStream> {
    if (this.closedFlag || this.goingAway) return Promise.reject(new Error('SPDY session is closed'));
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const stream = new SpdyStream(this, id, headers);
    if (fin) stream.markLocalClosed();
    this.streams.set(id, stream);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingReplies.delete(id);
        stream.destroy();
        reject(new Error(`timed out after ${this.replyTimeoutMs} ms waiting for the peer to accept stream ${id}`));
      }, this.replyTimeoutMs);
      this.pendingReplies.set(id, { resolve, reject, timer });
      this.write(encodeFrame({ type: 'synStream', streamId: id, associatedTo: 0, priority: 0, fin, unidirectional: false, headers }, this.compressor));
    });
  }

  /** Graceful close: GOAWAY, then the socket is ended once written. */
  close(): void {
    if (this.closedFlag) return;
    if (!this.goingAway) {
      this.goingAway = true;
      this.write(encodeFrame({ type: 'goaway', lastGoodStreamId: this.lastPeerStreamId, status: GOAWAY.ok }, this.compressor));
    }
    this.socket.end();
  }

  destroy(error: Error | null = null): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const pending of this.pendingReplies.values()) {
      clearTimeout(pending.timer);
      pending.reject(error ?? new Error('SPDY session closed before the peer accepted the stream'));
    }
    this.pendingReplies.clear();
    for (const stream of [...this.streams.values()]) stream.onConnectionClosed();
    this.streams.clear();
    this.blocked.clear();
    this.parser.close();
    this.compressor.close();
    this.socket.destroy();
    this.emit('close', error);
  }

  // ---- StreamOwner ----

  /**
   * Sends `chunks` as DATA frames, FIN on the last when `fin`. `cb` runs once the socket has
   * taken every byte, as a socket's own write callback does: the caller may then reuse or free
   * the chunks. Until then the frames wait in the socket's queue, which is the backpressure.
   */
  sendData(streamId: number, chunks: readonly Buffer[], fin: boolean, cb: (err?: Error | null) => void): void {
    if (this.closedFlag) return cb(new Error('SPDY session is closed'));
    const frames: Buffer[] = [];
    for (const data of chunks) {
      for (let at = 0; at < data.length; at += MAX_DATA_CHUNK) {
        const end = Math.min(at + MAX_DATA_CHUNK, data.length);
        frames.push(encodeDataHeader(streamId, end - at, false), data.subarray(at, end));
      }
    }
    if (fin) frames.push(encodeDataHeader(streamId, 0, true));
    if (frames.length === 0) return cb();
    const last = frames.pop()!;
    for (const frame of frames) this.write(frame);
    // A connection that breaks meanwhile resets the stream, which tells its owner; the write
    // itself just completes, as writes to a reset stream do.
    this.write(last, () => cb());
  }

  sendReset(streamId: number): void {
    if (!this.closedFlag) this.write(encodeFrame({ type: 'rstStream', streamId, status: RST.cancel }, this.compressor));
  }

  block(stream: SpdyStream): void {
    this.blocked.add(stream);
    this.socket.pause();
  }

  unblock(stream: SpdyStream): void {
    if (this.blocked.delete(stream) && this.blocked.size === 0 && !this.closedFlag) this.socket.resume();
  }

  forget(stream: SpdyStream): void {
    this.unblock(stream);
    if (this.streams.get(stream.id) === stream) {
      this.streams.delete(stream.id);
      if (this.isPeerStream(stream.id)) this.peerStreams--;
    }
    if (this.goingAway && this.streams.size === 0) this.socket.end();
  }

  // ---- internals ----

  private write(frame: Buffer, cb?: () => void): void {
    if (this.closedFlag || this.socket.destroyed) return cb?.();
    // Frames written in one tick go out together (one writev, fewer TLS records).
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(frame, cb);
  }

  /** Writes a control frame the peer's own frame calls for, dropping a peer that does not read them. */
  private answer(frame: Buffer): void {
    if (this.controlBacklog >= MAX_PEER_CONTROL_BACKLOG) {
      this.destroy(new Error(`SPDY peer is not reading: ${this.controlBacklog} answers to its control frames are queued; dropping the session`));
      return;
    }
    this.controlBacklog++;
    this.write(frame, () => this.controlBacklog--);
  }

  private isPeerStream(id: number): boolean {
    return (id & 1) === (this.role === 'server' ? 1 : 0);
  }

  private receive(chunk: Buffer): void {
    if (this.closedFlag) return;
    let frames: Frame[];
    try {
      frames = this.parser.push(chunk);
    } catch (err) {
      this.protocolError(err as Error);
      return;
    }
    for (const frame of frames) {
      if (this.closedFlag) return;
      this.handle(frame);
    }
  }

  private protocolError(err: Error): void {
    if (!this.closedFlag && !this.socket.destroyed) {
      this.socket.write(encodeFrame({ type: 'goaway', lastGoodStreamId: this.lastPeerStreamId, status: GOAWAY.protocolError }, this.compressor));
    }
    this.destroy(err);
  }

  private handle(frame: Frame): void {
    switch (frame.type) {
      case 'data':
        this.streams.get(frame.streamId)?.onData(frame.data, frame.fin);
        return;
      case 'synStream':
        return this.acceptStream(frame);
      case 'synReply': {
        const pending = this.pendingReplies.get(frame.streamId);
        const stream = this.streams.get(frame.streamId);
        if (!pending || !stream) return;
        this.pendingReplies.delete(frame.streamId);
        clearTimeout(pending.timer);
        pending.resolve(stream);
        if (frame.fin) stream.onRemoteFin();
        return;
      }
      case 'headers':
        if (frame.fin) this.streams.get(frame.streamId)?.onRemoteFin();
        return;
      case 'rstStream': {
        const pending = this.pendingReplies.get(frame.streamId);
        if (pending) {
          this.pendingReplies.delete(frame.streamId);
          clearTimeout(pending.timer);
          pending.reject(new Error(`the peer refused stream ${frame.streamId} (RST_STREAM status ${frame.status})`));
        }
        this.streams.get(frame.streamId)?.onReset();
        return;
      }
      case 'ping':
        // Our own pings carry our parity; anything else is the peer's and gets echoed.
        if ((frame.id & 1) !== (this.role === 'client' ? 1 : 0)) this.answer(encodeFrame(frame, this.compressor));
        return;
      case 'goaway':
        this.goingAway = true;
        if (this.streams.size === 0) this.socket.end();
        return;
      case 'settings':
      case 'windowUpdate':
      case 'unknown':
        return; // spdystream ignores these too
    }
  }

  private acceptStream(frame: Extract<Frame, { type: 'synStream' }>): void {
    const reset = (status: number): void => this.answer(encodeFrame({ type: 'rstStream', streamId: frame.streamId, status }, this.compressor));
    if (!this.isPeerStream(frame.streamId) || frame.streamId <= this.lastPeerStreamId) return reset(RST.protocolError);
    this.lastPeerStreamId = frame.streamId;
    if (this.goingAway || this.peerStreams >= MAX_PEER_STREAMS) return reset(RST.refusedStream);
    const stream = new SpdyStream(this, frame.streamId, frame.headers);
    this.streams.set(frame.streamId, stream);
    this.peerStreams++;
    this.answer(encodeFrame({ type: 'synReply', streamId: frame.streamId, fin: false, headers: {} }, this.compressor));
    if (frame.fin) stream.onRemoteFin();
    this.emit('stream', stream);
  }
}
