// The built-in behaviour of nginx images: serve a small welcome page on the given port and
// write access lines in nginx's combined format to stdout, like the official image does.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const port = Number(process.argv[2] ?? 80);
const PAGE = `<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and working.</p>
</body>
</html>
`;

function stamp(d: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

const ROOT = '/usr/share/nginx/html';
const NOT_FOUND = '<html><body><h1>404 Not Found</h1></body></html>\n';
const TYPES: Record<string, string> = { '.html': 'text/html', '.css': 'text/css', '.js': 'application/javascript', '.json': 'application/json', '.txt': 'text/plain' };

/** Like nginx's default site: files under the document root (a volume in the pod), else the welcome page. */
function lookup(url: string): { status: number; body: Buffer | string; type: string } {
  const rel = decodeURIComponent(url.split('?')[0] ?? '/');
  const file = path.join(ROOT, path.normalize(rel.endsWith('/') ? `${rel}index.html` : rel));
  if (file.startsWith(ROOT + '/')) {
    try {
      return { status: 200, body: readFileSync(file), type: TYPES[path.extname(file)] ?? 'application/octet-stream' };
    } catch {
      // Not in the document root: fall through.
    }
  }
  if (rel === '/' || rel === '/index.html') return { status: 200, body: PAGE, type: 'text/html' };
  return { status: 404, body: NOT_FOUND, type: 'text/html' };
}

const server = http.createServer((req, res) => {
  let found: ReturnType<typeof lookup>;
  try {
    found = lookup(req.url ?? '/');
  } catch {
    found = { status: 400, body: '<html><body><h1>400 Bad Request</h1></body></html>\n', type: 'text/html' };
  }
  const body = found.body;
  res.writeHead(found.status, { 'content-type': found.type, 'content-length': Buffer.byteLength(body), server: 'nginx' });
  res.end(req.method === 'HEAD' ? undefined : body);
  const ua = req.headers['user-agent'] ?? '-';
  process.stdout.write(
    `${req.socket.remoteAddress ?? '-'} - - [${stamp(new Date())}] "${req.method} ${req.url} HTTP/${req.httpVersion}" ${res.statusCode} ${Buffer.byteLength(body)} "-" "${ua}"\n`,
  );
});
server.listen(port, () => {
  process.stderr.write(`${new Date().toISOString()} [notice] 1#1: start worker processes (built-in nginx on port ${port})\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('SIGQUIT', () => server.close(() => process.exit(0)));
