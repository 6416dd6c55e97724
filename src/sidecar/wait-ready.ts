// `burstlet sidecar --wait-ready`: the sidecar container's postStart hook. The kubelet (and the
// mock CCI runtime) start the pod's next containers only once it returns, so the app never runs
// before its Services and cluster DNS are reachable.
import { request } from 'node:http';

function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Polls the sidecar's health endpoint until it answers 200; false when `timeoutMs` passes first. */
export async function waitReady(port: number, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await healthy(port)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
