// How a remote command's outcome travels on the error stream. Protocol v4 and later (SPDY
// v4.channel.k8s.io, WebSocket v4/v5) carry a metav1.Status; older ones carry plain text and
// say nothing on success.

export type RemoteCommandResult = { exitCode: number } | { error: string };

interface StatusCause {
  reason?: string;
  message?: string;
}
interface ExecStatus {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes?: StatusCause[] };
}

function failureMessage(result: RemoteCommandResult): string | null {
  if ('error' in result) return result.error;
  if (result.exitCode === 0) return null;
  return `command terminated with non-zero exit code: exit status ${result.exitCode}`;
}

/** The bytes to write on the error stream, or null when nothing is written (old protocols, success). */
export function encodeResult(result: RemoteCommandResult, structured: boolean): Buffer | null {
  const message = failureMessage(result);
  if (!structured) return message === null ? null : Buffer.from(message);
  let status: ExecStatus;
  if (message === null) status = { metadata: {}, status: 'Success' };
  else if ('exitCode' in result) {
    status = {
      metadata: {},
      status: 'Failure',
      message,
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: String(result.exitCode) }] },
    };
  } else status = { metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 };
  return Buffer.from(JSON.stringify(status));
}

/** Reads what arrived on the error stream (all of it, possibly empty) back into a result. */
export function decodeResult(bytes: Buffer, structured: boolean): RemoteCommandResult {
  const text = bytes.toString('utf8').trim();
  if (text === '') return { exitCode: 0 };
  if (!structured) return { error: text };
  let status: ExecStatus;
  try {
    status = JSON.parse(text) as ExecStatus;
  } catch {
    return { error: `unparseable status on the error stream: ${text.slice(0, 200)}` };
  }
  if (status.status === 'Success') return { exitCode: 0 };
  if (status.reason === 'NonZeroExitCode') {
    const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
    const code = Number(cause?.message);
    if (Number.isInteger(code)) return { exitCode: code };
  }
  return { error: status.message ?? text };
}
