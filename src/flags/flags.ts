// Declarative command-line flags: every subcommand describes its flags once, and parsing,
// validation, --help and the exit-2 usage errors all come from that one description.
import { isIP } from 'node:net';
import { errorMessage } from '../log/error-message.ts';

/** A usage error: the process prints the message and exits 2, like kubelet's flag errors. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface FlagDef<T> {
  help: string;
  /** The accepted form, shown in errors and in --help: "an integer 1-65535". */
  accepted: string;
  /** Parses one occurrence; throws Error(reason) on a bad value. */
  parse(raw: string): T;
  default: T;
  /** A flag that may stand alone (`--anonymous-auth`) and then means "true". */
  boolean?: boolean;
  /** Occurrences are combined (`--cluster-dns a --cluster-dns b`); the default is replaced by the first. */
  combine?(previous: T, next: T): T;
  /** Checked once after all occurrences are combined (limits across occurrences). */
  check?(value: T): void;
  /** How --help shows the default, in the flag's own accepted form. */
  show?(value: T): string;
  /** A one-letter alias (`-f` for --filename), as kubectl spells its common flags. */
  short?: string;
}

export type FlagDefs = Record<string, FlagDef<unknown>>;
export type FlagValues<D extends FlagDefs> = { [K in keyof D]: D[K] extends FlagDef<infer T> ? T : never };

export interface Subcommand<D extends FlagDefs = FlagDefs> {
  name: string;
  summary: string;
  flags: D;
  /** A command that finishes may return its exit code; servers return nothing and keep running. */
  run(values: FlagValues<D>): Promise<number | void> | number | void;
}

export function defineSubcommand<D extends FlagDefs>(command: Subcommand<D>): Subcommand<D> {
  return command;
}

function fail(command: string, flag: string, def: FlagDef<unknown>, raw: string, reason: string): never {
  throw new UsageError(
    `burstlet ${command}: invalid value ${JSON.stringify(raw)} for --${flag}: ${reason}; expected ${def.accepted}`,
  );
}

const SHORT_FLAG = /^-([a-zA-Z])(=.*)?$/;

/** Parses argv (without the subcommand) into typed values; throws UsageError on anything wrong. */
export function parseFlags<D extends FlagDefs>(command: Subcommand<D>, argv: readonly string[]): FlagValues<D> {
  const values: Record<string, unknown> = {};
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i]!;
    const short = SHORT_FLAG.exec(arg);
    if (short) {
      const long = Object.entries(command.flags).find(([, d]) => d.short === short[1])?.[0];
      if (long === undefined) throw new UsageError(`burstlet ${command.name}: unknown flag ${arg} (see burstlet ${command.name} --help for the flags it accepts)`);
      arg = `--${long}${short[2] ?? ''}`;
    }
    if (!arg.startsWith('--') || arg === '--') {
      throw new UsageError(`burstlet ${command.name}: unexpected argument ${JSON.stringify(arg)}; flags take the form --name=value (see burstlet ${command.name} --help)`);
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const def = command.flags[name];
    if (!def) {
      throw new UsageError(`burstlet ${command.name}: unknown flag --${name} (see burstlet ${command.name} --help for the flags it accepts)`);
    }
    let raw: string;
    if (eq !== -1) raw = arg.slice(eq + 1);
    else if (def.boolean) raw = 'true';
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--') && !SHORT_FLAG.test(argv[i + 1]!)) raw = argv[++i]!;
    else throw new UsageError(`burstlet ${command.name}: flag --${name} needs a value; expected ${def.accepted}`);
    let parsed: unknown;
    try {
      parsed = def.parse(raw);
    } catch (err) {
      fail(command.name, name, def, raw, errorMessage(err));
    }
    values[name] = seen.has(name) && def.combine ? def.combine(values[name], parsed) : parsed;
    seen.add(name);
  }
  for (const [name, def] of Object.entries(command.flags)) {
    if (!seen.has(name)) values[name] = def.default;
    else if (def.check) {
      try {
        def.check(values[name]);
      } catch (err) {
        throw new UsageError(`burstlet ${command.name}: invalid --${name}: ${errorMessage(err)}; expected ${def.accepted}`);
      }
    }
  }
  return values as FlagValues<D>;
}

export function helpText(command: Subcommand): string {
  const lines = [`Usage: burstlet ${command.name} [flags]`, '', command.summary, '', 'Flags:'];
  for (const [name, def] of Object.entries(command.flags)) {
    const shown = def.show ? def.show(def.default) : formatDefault(def.default);
    lines.push(`  ${def.short ? `-${def.short}, ` : ''}--${name}${def.boolean ? '' : '=<value>'}`);
    lines.push(`      ${def.help} (${def.accepted}${shown === '' ? '' : `; default ${shown}`})`);
  }
  lines.push('  --help', '      Show this help.');
  return lines.join('\n');
}

function formatDefault(value: unknown): string {
  if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) return '';
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return Object.entries(value).map(([k, v]) => `${k}=${String(v)}`).join(',');
  }
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(',');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

// ---- Flag kinds -------------------------------------------------------------------------

export function stringFlag(help: string, defaultValue = '', accepted = 'a string'): FlagDef<string> {
  return { help, accepted, default: defaultValue, parse: (raw) => raw };
}

export function requiredString(help: string, accepted = 'a non-empty string'): FlagDef<string> {
  return {
    help,
    accepted,
    default: '',
    parse: (raw) => {
      if (raw === '') throw new Error('must not be empty');
      return raw;
    },
  };
}

export function intFlag(help: string, defaultValue: number, min: number, max: number): FlagDef<number> {
  return {
    help,
    accepted: `an integer ${min}-${max}`,
    default: defaultValue,
    parse: (raw) => {
      if (!/^-?\d+$/.test(raw)) throw new Error('not an integer');
      const n = Number(raw);
      if (n < min || n > max) throw new Error('out of range');
      return n;
    },
  };
}

export function boolFlag(help: string, defaultValue = false): FlagDef<boolean> {
  return {
    help,
    accepted: 'true or false',
    default: defaultValue,
    boolean: true,
    parse: (raw) => {
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      throw new Error('not a boolean');
    },
  };
}

export function enumFlag<T extends string>(help: string, defaultValue: T, choices: readonly T[]): FlagDef<T> {
  return {
    help,
    accepted: `one of ${choices.join(', ')}`,
    default: defaultValue,
    parse: (raw) => {
      if (!(choices as readonly string[]).includes(raw)) throw new Error('not an accepted choice');
      return raw as T;
    },
  };
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go-style durations ("500ms", "10s", "1m30s"), returned in milliseconds. */
export function parseDuration(raw: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(raw); m; m = re.exec(raw)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    matched = re.lastIndex;
  }
  if (raw === '' || matched !== raw.length) throw new Error('not a duration');
  return total;
}

/** Milliseconds back into the Go-style form ("1m30s", "500ms", "0s"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

export function durationFlag(help: string, defaultMs: number): FlagDef<number> {
  return { help, accepted: 'a duration such as 500ms, 10s or 1m30s', default: defaultMs, parse: parseDuration, show: formatDuration };
}

/** host:port, or :port for every interface; "" (when allowed by the default) turns the listener off. */
export function addressFlag(help: string, defaultValue: string): FlagDef<string> {
  return {
    help,
    accepted: 'host:port, :port, or "" to disable',
    default: defaultValue,
    parse: (raw) => {
      if (raw === '') return raw;
      const m = /^(.*):(\d+)$/.exec(raw);
      const port = m ? Number(m[2]) : NaN;
      if (!m || port < 0 || port > 65535) throw new Error('not host:port');
      return raw;
    },
  };
}

/** Comma-separated values, repeatable; each element parsed by `element`. */
export function listFlag<T>(
  help: string,
  accepted: string,
  element: (raw: string) => T,
  opts: { max?: number; default?: T[]; show?: (element: T) => string } = {},
): FlagDef<T[]> {
  const check = (list: T[]): void => {
    if (opts.max !== undefined && list.length > opts.max) throw new Error(`at most ${opts.max} values, got ${list.length}`);
  };
  return {
    help,
    accepted: opts.max === undefined ? `comma-separated ${accepted}` : `at most ${opts.max} comma-separated ${accepted}`,
    default: opts.default ?? [],
    parse: (raw) => {
      const list = raw.split(',').map((s) => s.trim()).filter((s) => s !== '').map(element);
      check(list);
      return list;
    },
    combine: (a, b) => [...a, ...b],
    check,
    ...(opts.show ? { show: (list: T[]) => list.map(opts.show!).join(',') } : {}),
  };
}

export function ipAddress(raw: string): string {
  if (isIP(raw) === 0) throw new Error(`${JSON.stringify(raw)} is not an IP address`);
  return raw;
}

/** key=value pairs (labels), comma-separated and repeatable. */
export function keyValueFlag(help: string, defaultValue: Record<string, string> = {}): FlagDef<Record<string, string>> {
  return {
    help,
    accepted: 'comma-separated key=value pairs',
    default: defaultValue,
    parse: (raw) => {
      const out: Record<string, string> = {};
      for (const part of raw.split(',').filter((s) => s !== '')) {
        const eq = part.indexOf('=');
        if (eq <= 0) throw new Error(`${JSON.stringify(part)} is not key=value`);
        out[part.slice(0, eq)] = part.slice(eq + 1);
      }
      return out;
    },
    combine: (a, b) => ({ ...a, ...b }),
  };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS-1123 subdomain such as cluster.local: lowercase labels of at most 63 characters, 253 in all. */
export function dnsDomain(raw: string): string {
  if (raw.length > 253) throw new Error('longer than 253 characters');
  const bad = raw.split('.').find((label) => label.length > 63 || !DNS_LABEL.test(label));
  if (bad !== undefined) throw new Error(`label ${JSON.stringify(bad)} is not a lowercase DNS label`);
  return raw;
}
