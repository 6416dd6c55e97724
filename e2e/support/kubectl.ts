// The real kubectl binaries (1.27–1.33) against a test cluster: one runner, one calling
// convention. `run` never throws and gives the exit code; `ok` must exit 0 and gives stdout;
// `spawn` starts one without waiting (watches); `portForward` waits for kubectl's local port.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export type KubectlVersion = '1.27' | '1.28' | '1.29' | '1.30' | '1.31' | '1.32' | '1.33';

export function kubectlPath(version: KubectlVersion = '1.33'): string {
  return `/usr/lib/google-cloud-sdk/bin/kubectl.${version}`;
}

export interface KubectlOptions {
  version?: KubectlVersion;
  stdin?: Buffer | string;
  /** Extra environment (e.g. KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false). */
  env?: Record<string, string>;
  /** Killed after this long; 60 s by default. */
  timeoutMs?: number;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  /** stdout as bytes: exec and cp output may be binary. */
  bytes: Buffer;
  stderr: string;
}

/**
 * kubectl's stderr without one line client-go logs when kube-apiserver's WebSocket exec sends its
 * empty "connection established" message on stdout before kubectl has opened its stdout stream
 * (k8s.io/apiserver pkg/util/proxy/websocket.go, client-go remotecommand/websocket.go): kubectl
 * drops that empty message and says so. Seen on a CI machine; nothing of the command's is lost
 * (its stdout is checked whole).
 */
export function withoutWebSocketRaceLog(stderr: string): string {
  return stderr.replace(/^E\d{4} [\d:.]+ +\d+ websocket\.go:\d+\] Unknown stream id \d+, discarding message\n/gm, '');
}

export interface PortForward {
  /** The local port kubectl listens on. */
  port: number;
  /** What kubectl wrote to stderr so far (its -v logs). */
  stderr(): string;
  close(): void;
}

export interface Kubectl {
  readonly kubeconfig: string;
  run(args: readonly string[], opts?: KubectlOptions): Promise<KubectlResult>;
  ok(args: readonly string[], opts?: KubectlOptions): Promise<string>;
  spawn(args: readonly string[], opts?: KubectlOptions): ChildProcessWithoutNullStreams;
  /** `kubectl port-forward <target> :<remotePort>`, ready when kubectl says where it listens. */
  portForward(target: string, remotePort: number, opts?: KubectlOptions & { args?: readonly string[] }): Promise<PortForward>;
  /** `kubectl create -f -` of the objects. */
  create(...objects: object[]): Promise<void>;
}

export function kubectlFor(kubeconfig: string): Kubectl {
  const start = (args: readonly string[], o: KubectlOptions = {}): ChildProcessWithoutNullStreams =>
    spawn(kubectlPath(o.version), [...args], { env: { ...process.env, KUBECONFIG: kubeconfig, ...o.env } });
  const run = (args: readonly string[], o: KubectlOptions = {}): Promise<KubectlResult> =>
    new Promise((resolve) => {
      const child = start(args, o);
      const out: Buffer[] = [];
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        const bytes = Buffer.concat(out);
        resolve({ code: code ?? -1, stdout: bytes.toString(), bytes, stderr });
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(o.stdin ?? '');
    });
  const ok = async (args: readonly string[], o: KubectlOptions = {}): Promise<string> => {
    const r = await run(args, o);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  return {
    kubeconfig,
    run,
    ok,
    spawn: start,
    async portForward(target, remotePort, o = {}) {
      const child = start(['port-forward', ...(o.args ?? []), target, `:${remotePort}`], o);
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      try {
        const port = await readOutput(child, (out) => /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
        return { port: Number(port), stderr: () => stderr, close: () => child.kill('SIGTERM') };
      } catch (err) {
        child.kill('SIGKILL');
        throw err;
      }
    },
    async create(...objects) {
      await ok(['create', '-f', '-'], { stdin: objects.map((o) => JSON.stringify(o)).join('\n') });
    },
  };
}

/**
 * Reads a running kubectl's stdout until `found` gives a value for what came so far; rejects,
 * with its stderr, if it exits first.
 */
export function readOutput<T>(child: ChildProcessWithoutNullStreams, found: (stdout: string) => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const value = found(out);
      if (value !== undefined) resolve(value);
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => reject(new Error(`kubectl ${child.spawnargs.slice(1).join(' ')} exited ${code} after ${JSON.stringify(out.slice(-500))}: ${err}`)));
  });
}
