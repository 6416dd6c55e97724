// The kubelet's /containerLogs query (PodLogOptions): parsed and validated, 400 on nonsense.
import type { ContainerLogOptions } from './backend.ts';

export class QueryError extends Error {
  override name = 'QueryError';
}

function bool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null || v === '' || v === 'false' || v === '0') return false;
  if (v === 'true' || v === '1') return true;
  throw new QueryError(`${name}: want true or false, got ${JSON.stringify(v)}`);
}

function int(q: URLSearchParams, name: string, min: number): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!/^-?\d+$/.test(v) || Number(v) < min) throw new QueryError(`${name}: want an integer >= ${min}, got ${JSON.stringify(v)}`);
  return Number(v);
}

export function parseLogQuery(q: URLSearchParams): ContainerLogOptions {
  const options: ContainerLogOptions = { follow: bool(q, 'follow'), previous: bool(q, 'previous'), timestamps: bool(q, 'timestamps') };
  const sinceSeconds = int(q, 'sinceSeconds', 1);
  const sinceTime = q.get('sinceTime');
  if (sinceSeconds !== undefined && sinceTime !== null) throw new QueryError('at most one of sinceTime or sinceSeconds may be specified');
  if (sinceSeconds !== undefined) options.sinceSeconds = sinceSeconds;
  if (sinceTime !== null) {
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(sinceTime) || Number.isNaN(Date.parse(sinceTime))) {
      throw new QueryError(`sinceTime: want an RFC 3339 time, got ${JSON.stringify(sinceTime)}`);
    }
    options.sinceTime = sinceTime;
  }
  const tailLines = int(q, 'tailLines', 0);
  if (tailLines !== undefined) options.tailLines = tailLines;
  const limitBytes = int(q, 'limitBytes', 1);
  if (limitBytes !== undefined) options.limitBytes = limitBytes;
  return options;
}
