// GET .../pods/{name}/log: a container instance's log with every kubectl option, from the
// runtime's per-instance line store; `follow` streams new lines until the instance ends.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ContainerLog } from './runtime/container-log.ts';
import { ByteLimit, formatLine, nowNs, parseRfc3339, selectLines, type LogLine } from './runtime/log-lines.ts';
import type { PodRunner } from './runtime/pod.ts';
import { badRequest } from './status.ts';
import { errorMessage } from '../log/error-message.ts';

export interface LogQuery {
  container?: string;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  sinceNs?: bigint;
  tailLines?: number;
  limitBytes?: number;
}

const bool = (v: string | undefined): boolean => v === 'true' || v === '1';

function nonNegativeInt(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v) || Number(v) < min) throw badRequest(`${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return Number(v);
}

export function parseLogQuery(q: Record<string, string | undefined>, now: bigint): LogQuery {
  if (q.sinceSeconds !== undefined && q.sinceTime !== undefined) throw badRequest('at most one of sinceTime or sinceSeconds may be specified');
  const sinceSeconds = nonNegativeInt('sinceSeconds', q.sinceSeconds, 1);
  let sinceNs: bigint | undefined;
  if (sinceSeconds !== undefined) sinceNs = now - BigInt(sinceSeconds) * 1_000_000_000n;
  if (q.sinceTime !== undefined) {
    try {
      sinceNs = parseRfc3339(q.sinceTime);
    } catch (err) {
      throw badRequest(`sinceTime: ${errorMessage(err)}`);
    }
  }
  return {
    ...(q.container ? { container: q.container } : {}),
    follow: bool(q.follow),
    previous: bool(q.previous),
    timestamps: bool(q.timestamps),
    ...(sinceNs !== undefined ? { sinceNs } : {}),
    ...(q.tailLines !== undefined ? { tailLines: nonNegativeInt('tailLines', q.tailLines, 0) } : {}),
    ...(q.limitBytes !== undefined ? { limitBytes: nonNegativeInt('limitBytes', q.limitBytes, 1) } : {}),
  };
}

/** Picks the container instance a log request means, with the kubelet's error messages. */
export function pickLog(runner: PodRunner, query: LogQuery): ContainerLog {
  const podName = runner.pod.metadata.name;
  const all = [...runner.init, ...runner.containers];
  let name = query.container;
  if (!name) {
    if (runner.containers.length !== 1) {
      throw badRequest(`a container name must be specified for pod ${podName}, choose one of: [${runner.containers.map((c) => c.spec.name).join(' ')}]`);
    }
    name = runner.containers[0]!.spec.name;
  }
  const c = all.find((x) => x.spec.name === name);
  if (!c) throw badRequest(`container ${name} is not valid for pod ${podName}`);
  if (query.previous) {
    const prev = c.logs.length >= 2 && c.restartCount > 0 ? c.logs.at(-2) : undefined;
    if (!prev) throw badRequest(`previous terminated container "${name}" in pod "${podName}" not found`);
    return prev;
  }
  const current = c.logs.at(-1);
  if (!current) {
    const reason = c.state.waiting?.reason ?? 'ContainerCreating';
    throw badRequest(`container "${name}" in pod "${podName}" is waiting to start: ${reason}`);
  }
  return current;
}

export function serveLog(req: FastifyRequest, reply: FastifyReply, runner: PodRunner): void {
  const query = parseLogQuery(req.query as Record<string, string | undefined>, nowNs());
  const log = pickLog(runner, query);
  const limit = new ByteLimit(query.limitBytes);
  const lines = selectLines(log.lines, { ...(query.sinceNs !== undefined ? { sinceNs: query.sinceNs } : {}), ...(query.tailLines !== undefined ? { tailLines: query.tailLines } : {}) });
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
  const write = (line: LogLine): boolean => {
    const chunk = limit.take(formatLine(line, query.timestamps));
    if (chunk.length > 0) res.write(chunk);
    return !limit.exhausted;
  };
  let open = true;
  for (const line of lines) open &&= write(line);
  if (!query.follow || !open || log.ended) {
    res.end();
    return;
  }
  const onLine = (line: LogLine): void => {
    if (query.sinceNs !== undefined && line.ns < query.sinceNs) return;
    if (!write(line)) done();
  };
  const done = (): void => {
    log.off('line', onLine);
    log.off('end', done);
    res.end();
  };
  log.on('line', onLine);
  log.once('end', done);
  res.once('close', done);
}
