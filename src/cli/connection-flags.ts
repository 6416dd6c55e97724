// The flags that bound connections without an authenticated request (src/net/connection-guard.ts),
// shared by `burstlet node` (kubelet API and service directory) and `burstlet mock-cci`.
import type { ConnectionLimits } from '../net/connection-guard.ts';
import { DEFAULT_CONNECTION_LIMITS } from '../net/connection-guard.ts';
import { durationFlag, intFlag, type FlagDef } from '../flags/flags.ts';

function boundedDuration(help: string, defaultMs: number, maxMs: number): FlagDef<number> {
  const base = durationFlag(help, defaultMs);
  return {
    ...base,
    accepted: `a duration from 1ms to ${base.show!(maxMs)}, such as 500ms, 10s or 1m30s`,
    parse: (raw) => {
      const ms = base.parse(raw);
      if (ms < 1 || ms > maxMs) throw new Error('out of range');
      return Math.round(ms);
    },
  };
}

/** The three flags; `clients` names who connects, for the help text. */
export function connectionFlags(clients: string) {
  return {
    'request-header-timeout': boundedDuration(
      `Longest time a client of ${clients} may take to complete the TLS handshake (if any) and send a request's headers; a slower connection is closed`,
      DEFAULT_CONNECTION_LIMITS.headerTimeoutMs, 3_600_000,
    ),
    'request-timeout': boundedDuration(
      'Longest time a request\'s body may take to arrive (streamed responses and upgraded connections are not limited)',
      DEFAULT_CONNECTION_LIMITS.requestTimeoutMs, 86_400_000,
    ),
    'max-unauthenticated-connections': intFlag(
      `Connections to ${clients} that have not yet sent an authenticated request; more are closed as they arrive, so half-sent requests cost bounded memory`,
      DEFAULT_CONNECTION_LIMITS.maxUnadmitted, 1, 1_000_000,
    ),
  } as const;
}

export function connectionLimits(v: { 'request-header-timeout': number; 'request-timeout': number; 'max-unauthenticated-connections': number }): ConnectionLimits {
  return { headerTimeoutMs: v['request-header-timeout'], requestTimeoutMs: v['request-timeout'], maxUnadmitted: v['max-unauthenticated-connections'] };
}
