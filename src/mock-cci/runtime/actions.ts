// Probe and lifecycle-hook actions, as the kubelet runs them: exec inside the pod (success =
// exit 0), HTTP GET against the pod (success = 200-399), TCP connect, and the hook-only sleep.
import { spawn } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { V1ContainerPort, V1ExecAction, V1HTTPGetAction, V1TCPSocketAction } from '@kubernetes/client-node';
import type { CciContainerPort } from '../../cci/types.ts';
import type { PodSandbox } from './sandbox.ts';
import { errorMessage } from '../../log/error-message.ts';

export interface Action {
  exec?: V1ExecAction;
  httpGet?: V1HTTPGetAction;
  tcpSocket?: V1TCPSocketAction;
  sleep?: { seconds: number };
}

export interface ActionResult {
  ok: boolean;
  message: string;
}

export interface ActionContext {
  sandbox: PodSandbox;
  env: NodeJS.ProcessEnv;
  ports: readonly (CciContainerPort | V1ContainerPort)[] | undefined;
  timeoutMs: number;
  /** Wraps an exec action's argv to run as the container's user. */
  asUser?: (argv: readonly string[]) => string[];
}

function resolvePort(port: number | string | object | undefined, ports: ActionContext['ports']): number {
  if (typeof port === 'number') return port;
  if (typeof port === 'string' && /^\d+$/.test(port)) return Number(port);
  const named = ports?.find((p) => p.name === port);
  if (!named) throw new Error(`port ${JSON.stringify(port)} is not a number nor a named container port`);
  return named.containerPort;
}

export async function runAction(action: Action, ctx: ActionContext): Promise<ActionResult> {
  try {
    if (action.exec) return await runExec(action.exec.command ?? [], ctx);
    if (action.httpGet) return await runHttpGet(action.httpGet, ctx);
    if (action.tcpSocket) return await runTcp(action.tcpSocket, ctx);
    if (action.sleep) {
      await new Promise((r) => setTimeout(r, action.sleep!.seconds * 1000));
      return { ok: true, message: '' };
    }
    return { ok: false, message: 'the action has no handler (exec, httpGet, tcpSocket or sleep)' };
  } catch (err) {
    return { ok: false, message: errorMessage(err) };
  }
}

function runExec(command: readonly string[], ctx: ActionContext): Promise<ActionResult> {
  return new Promise((resolve) => {
    if (command.length === 0) return resolve({ ok: false, message: 'exec action with an empty command' });
    const spec = ctx.sandbox.spawnSpec(ctx.asUser ? ctx.asUser(command) : command, undefined);
    const child = spawn(spec.file, spec.args, { cwd: spec.cwd, env: ctx.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    const collect = (d: Buffer): void => {
      if (output.length < 4096) output += d.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      killGroup(child.pid, 'SIGKILL');
      resolve({ ok: false, message: `command timed out after ${ctx.timeoutMs / 1000}s` });
    }, ctx.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, message: err.message });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, message: code === 0 ? output : `command exited with ${code ?? signal}: ${output.trim()}` });
    });
  });
}

function runHttpGet(get: V1HTTPGetAction, ctx: ActionContext): Promise<ActionResult> {
  const port = resolvePort(get.port, ctx.ports);
  const scheme = (get.scheme ?? 'HTTP').toUpperCase();
  const headers: Record<string, string> = { 'user-agent': 'kube-probe/1.33', accept: '*/*' };
  for (const h of get.httpHeaders ?? []) headers[h.name.toLowerCase()] = h.value;
  const options = { host: get.host || ctx.sandbox.reachableIP, port, path: get.path || '/', headers, timeout: ctx.timeoutMs, rejectUnauthorized: false };
  return new Promise((resolve) => {
    const req = (scheme === 'HTTPS' ? https : http).get(options, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve({ ok: code >= 200 && code < 400, message: `HTTP probe failed with statuscode: ${code}` });
    });
    req.once('timeout', () => req.destroy(new Error(`Get "${scheme.toLowerCase()}://${options.host}:${port}${options.path}": context deadline exceeded`)));
    req.once('error', (err) => resolve({ ok: false, message: err.message }));
  });
}

function runTcp(tcp: V1TCPSocketAction, ctx: ActionContext): Promise<ActionResult> {
  const port = resolvePort(tcp.port, ctx.ports);
  const host = tcp.host || ctx.sandbox.reachableIP;
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: ctx.timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ ok: true, message: '' });
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` });
    });
    socket.once('error', (err) => resolve({ ok: false, message: `dial tcp ${host}:${port}: ${err.message}` }));
  });
}

export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  // Never 0 or negative: kill(-0) and kill(-(-1)) would hit our own group or every process.
  if (pid === undefined || pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}
