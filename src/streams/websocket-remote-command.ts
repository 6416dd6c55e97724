// Remote command over the Kubernetes WebSocket channel protocols, both roles, on `ws`.
import { Readable, Writable } from 'node:stream';
import { WebSocket } from 'ws';
import { AsyncQueue } from './async-queue.ts';
import { freeMemory } from './chunk-forward.ts';
import { decodeResult, encodeResult, type RemoteCommandResult } from './exec-status.ts';
import type { RemoteCommandClient, RemoteCommandOptions, RemoteCommandSession } from './remote-command.ts';
import {
  CHANNEL,
  decodeResize,
  encodeChannelMessage,
  encodeCloseMessage,
  encodeResize,
  isBase64Protocol,
  isStructuredStatusProtocol,
  supportsStreamClose,
  WS_PROTOCOL,
  type TerminalSize,
  type WsChannelProtocol,
} from './websocket-channels.ts';
import { onChannelMessages } from './websocket-receive.ts';
import { sendPaced } from './websocket-send.ts';

/** Frames this big are reused: room for a pipe's 64 KiB read, what writers mostly get. */
const REUSED_FRAME = (64 << 10) + 1;
/** Smaller chunks are framed from Node's shared buffer pool, which costs nothing to reuse. */
const POOLED = Buffer.poolSize >>> 1;
/** Written frames a writer keeps for reuse; more in flight at once are allocated and dropped. */
const SPARE_FRAMES = 4;

function protocolOf(ws: WebSocket): WsChannelProtocol {
  const p = ws.protocol === '' ? WS_PROTOCOL.binary : ws.protocol;
  if (!(Object.values(WS_PROTOCOL) as string[]).includes(p)) throw new Error(`unsupported WebSocket subprotocol ${JSON.stringify(p)}`);
  return p as WsChannelProtocol;
}

/** A Writable that sends each chunk on one channel, waiting for `ws` to drain when it backs up. */
function channelWriter(ws: WebSocket, protocol: WsChannelProtocol, channel: number, onFinal?: () => void): Writable {
  // Prefixing the channel byte copies each chunk; the copy goes into frames reused once `ws`
  // has written them, as a fresh 64 KiB buffer per chunk drove most garbage collections.
  const spare: Buffer[] = [];
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (ws.readyState !== WebSocket.OPEN) return cb(); // peer gone: `closed` tells the owner
      if (chunk.length === 0) return cb();
      const reuse = chunk.length >= POOLED && chunk.length < REUSED_FRAME && !isBase64Protocol(protocol);
      const frame = reuse ? (spare.pop() ?? Buffer.allocUnsafe(REUSED_FRAME)) : undefined;
      sendPaced(ws, encodeChannelMessage(protocol, channel, chunk, frame), () => cb(), () => {
        if (frame && spare.length < SPARE_FRAMES) spare.push(frame);
      });
    },
    final(cb) {
      onFinal?.();
      cb();
    },
  });
}

/** A Readable fed from messages; pauses the socket while the consumer is behind. */
function channelReader(ws: WebSocket): Readable {
  return new Readable({
    read() {
      if (ws.isPaused) ws.resume();
    },
    destroy(err, cb) {
      if (ws.isPaused) ws.resume();
      cb(err);
    },
  });
}

function feed(reader: Readable, ws: WebSocket, data: Buffer): void {
  if (data.length === 0 || reader.readableEnded || reader.destroyed) return;
  if (!reader.push(data)) ws.pause();
}

/** Ends a reader; the socket must flow again since nobody will ask this reader for more. */
function endReader(reader: Readable | null, ws: WebSocket): void {
  if (reader && !reader.readableEnded && !reader.destroyed) reader.push(null);
  if (ws.isPaused) ws.resume();
}

function waitFinished(w: Writable | null): Promise<void> {
  if (!w || w.writableFinished || w.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    w.once('finish', resolve);
    w.once('close', resolve);
    if (!w.writableEnded) w.end();
  });
}

/** Serves one exec/attach on an accepted WebSocket whose subprotocol is already negotiated. */
export function serveWebSocketRemoteCommand(ws: WebSocket, options: RemoteCommandOptions): RemoteCommandSession {
  const protocol = protocolOf(ws);
  const stdin = options.stdin ? channelReader(ws) : null;
  const stdout = options.stdout ? channelWriter(ws, protocol, CHANNEL.stdout) : null;
  const stderr = options.stderr && !options.tty ? channelWriter(ws, protocol, CHANNEL.stderr) : null;
  const resizes = options.tty ? new AsyncQueue<TerminalSize>() : null;
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));

  onChannelMessages(ws, protocol, (msg) => {
    if (msg.kind === 'close' && msg.channel === CHANNEL.stdin) endReader(stdin, ws);
    if (msg.kind !== 'data') return;
    if (msg.channel === CHANNEL.stdin && stdin) feed(stdin, ws, msg.data);
    else if (msg.channel === CHANNEL.resize && resizes) {
      const size = decodeResize(msg.data);
      if (size) resizes.push(size);
    }
  });
  void closed.then(() => {
    endReader(stdin, ws);
    resizes?.end();
  });
  ws.on('error', () => ws.terminate());

  // The kubelet greets on the lowest writable channel so the client knows the streams are up.
  const greet = stdout ? CHANNEL.stdout : stderr ? CHANNEL.stderr : CHANNEL.error;
  ws.send(encodeChannelMessage(protocol, greet, Buffer.alloc(0)));

  let finishing: Promise<void> | null = null;
  return {
    protocol,
    tty: options.tty,
    stdin,
    stdout,
    stderr,
    resizes,
    closed,
    abort: () => ws.terminate(),
    finish(result: RemoteCommandResult) {
      finishing ??= (async () => {
        await Promise.all([waitFinished(stdout), waitFinished(stderr)]);
        endReader(stdin, ws); // unread input must not stall the closing handshake
        if (ws.readyState !== WebSocket.OPEN) return;
        const status = encodeResult(result, isStructuredStatusProtocol(protocol));
        if (status) ws.send(encodeChannelMessage(protocol, CHANNEL.error, status));
        ws.close(1000);
      })();
      return finishing;
    },
  };
}

/** Drives an exec/attach as the client over a WebSocket (open or opening) to a server. */
export function openWebSocketRemoteCommand(ws: WebSocket, options: RemoteCommandOptions): Promise<RemoteCommandClient> {
  if (ws.readyState === WebSocket.OPEN) return Promise.resolve(attachClient(ws, options));
  return new Promise((resolve, reject) => {
    // Attach inside 'open': messages that follow the handshake in the same packet come later.
    ws.once('open', () => resolve(attachClient(ws, options)));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`exec upgrade refused: HTTP ${res.statusCode}`)));
  });
}

function attachClient(ws: WebSocket, options: RemoteCommandOptions): RemoteCommandClient {
  const protocol = protocolOf(ws);
  const structured = isStructuredStatusProtocol(protocol);
  const stdout = options.stdout ? channelReader(ws) : null;
  const stderr = options.stderr && !options.tty ? channelReader(ws) : null;
  const stdin = options.stdin
    ? channelWriter(ws, protocol, CHANNEL.stdin, () => {
        if (supportsStreamClose(protocol) && ws.readyState === WebSocket.OPEN) ws.send(encodeCloseMessage(CHANNEL.stdin));
      })
    : null;
  const errorChunks: Buffer[] = [];
  // Output chunks with memory of their own, which release() may free once they are written.
  const freeable = new WeakSet<Buffer>();

  onChannelMessages(ws, protocol, (msg, alone) => {
    if (msg.kind === 'close') {
      if (msg.channel === CHANNEL.stdout) endReader(stdout, ws);
      if (msg.channel === CHANNEL.stderr) endReader(stderr, ws);
      return;
    }
    if (msg.kind !== 'data') return;
    const reader = msg.channel === CHANNEL.stdout ? stdout : msg.channel === CHANNEL.stderr ? stderr : null;
    if (reader) {
      if (alone) freeable.add(msg.data);
      feed(reader, ws, msg.data);
    } else if (msg.channel === CHANNEL.error) errorChunks.push(msg.data);
  });

  const result = new Promise<RemoteCommandResult>((resolve, reject) => {
    let failure: Error | null = null;
    ws.on('error', (err) => (failure = err));
    ws.once('close', (code) => {
      endReader(stdout, ws);
      endReader(stderr, ws);
      stdin?.destroy();
      if (errorChunks.length > 0 || !structured) return resolve(decodeResult(Buffer.concat(errorChunks), structured));
      reject(failure ?? new Error(`exec connection closed (code ${code}) before the command reported its status`));
    });
  });
  result.catch(() => undefined); // callers that only close() must not crash the process

  return {
    protocol,
    stdin,
    stdout,
    stderr,
    result,
    resize(size: TerminalSize) {
      if (options.tty && ws.readyState === WebSocket.OPEN) ws.send(encodeChannelMessage(protocol, CHANNEL.resize, encodeResize(size)));
    },
    close: () => ws.terminate(),
    release: (chunk) => {
      if (freeable.delete(chunk)) freeMemory(chunk);
    },
  };
}
