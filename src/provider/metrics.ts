// A small Prometheus registry for `burstlet node` (text format 0.0.4 on a plain HTTP
// listener): counters, gauges computed at scrape time, and summaries of durations.
import { createServer, type Server } from 'node:http';

type Labels = Record<string, string>;

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

interface Family {
  help: string;
  type: 'counter' | 'gauge' | 'summary';
  render(name: string): string[];
}

export class Counter {
  readonly #values = new Map<string, number>();
  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    this.#values.set(key, (this.#values.get(key) ?? 0) + by);
  }
  /** The sum over every label set matching `match`. */
  total(match: (labels: string) => boolean = () => true): number {
    let sum = 0;
    for (const [k, v] of this.#values) if (match(k)) sum += v;
    return sum;
  }
  render(name: string): string[] {
    return [...this.#values].map(([labels, v]) => `${name}${labels} ${v}`);
  }
}

/** Durations in seconds: count, sum and the 0.5/0.9/0.99 quantiles of the last 1,000 samples. */
export class Summary {
  readonly #samples = new Map<string, { count: number; sum: number; recent: number[] }>();
  observe(seconds: number, labels: Labels = {}): void {
    const key = labelText(labels);
    let s = this.#samples.get(key);
    if (!s) this.#samples.set(key, (s = { count: 0, sum: 0, recent: [] }));
    s.count++;
    s.sum += seconds;
    s.recent.push(seconds);
    if (s.recent.length > 1000) s.recent.shift();
  }
  render(name: string): string[] {
    const out: string[] = [];
    for (const [labels, s] of this.#samples) {
      const sorted = [...s.recent].sort((a, b) => a - b);
      const inner = labels === '' ? '' : labels.slice(1, -1) + ',';
      for (const q of [0.5, 0.9, 0.99]) {
        const v = sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
        out.push(`${name}{${inner}quantile="${q}"} ${v}`);
      }
      out.push(`${name}_sum${labels} ${s.sum}`, `${name}_count${labels} ${s.count}`);
    }
    return out;
  }
}

export class Registry {
  readonly #families = new Map<string, Family>();

  counter(name: string, help: string): Counter {
    const c = new Counter();
    this.#families.set(name, { help, type: 'counter', render: (n) => c.render(n) });
    return c;
  }

  summary(name: string, help: string): Summary {
    const s = new Summary();
    this.#families.set(name, { help, type: 'summary', render: (n) => s.render(n) });
    return s;
  }

  /** A gauge read at scrape time: `read` returns [labels, value] pairs. */
  gauge(name: string, help: string, read: () => [Labels, number][]): void {
    this.#families.set(name, { help, type: 'gauge', render: (n) => read().map(([l, v]) => `${n}${labelText(l)} ${v}`) });
  }

  text(): string {
    const lines: string[] = [];
    for (const [name, f] of this.#families) lines.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`, ...f.render(name));
    return lines.join('\n') + '\n';
  }
}

/** Serves GET /metrics on `addr` (host:port or :port); resolves with the bound port. */
export async function serveMetrics(registry: Registry, addr: string): Promise<{ server: Server; port: number }> {
  const m = /^(.*):(\d+)$/.exec(addr)!;
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(registry.text());
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only /metrics is served here\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(m[2]), m[1] === '' ? undefined : m[1], () => resolve());
  });
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0 };
}
