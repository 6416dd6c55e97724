// Structured logs for every burstlet process: pino, JSON lines on stderr, with credentials
// redacted wherever they could appear (request headers, tokens, kubeconfig material).
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

const REDACT = [
  'req.headers.authorization',
  'req.headers["x-auth-token"]',
  'headers.authorization',
  'headers["x-auth-token"]',
  'token',
  '*.token',
  'password',
  '*.password',
  'key',
  '*.key',
];

export function createLogger(level: LevelWithSilent, name: string): Logger {
  return pino({ name, level, redact: { paths: REDACT, censor: '[redacted]' } }, pino.destination(2));
}
