// The built-in behaviour of nginx images: serve a small welcome page on the given port and
// write access lines in nginx's combined format to stdout, like the official image does.
import http from 'node:http';

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

const server = http.createServer((req, res) => {
  const found = req.url === '/' || req.url === '/index.html';
  const body = found ? PAGE : '<html><body><h1>404 Not Found</h1></body></html>\n';
  res.writeHead(found ? 200 : 404, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(body), server: 'nginx' });
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
