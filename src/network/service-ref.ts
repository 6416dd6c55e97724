// A Service named on a command line: `namespace/name`.
import { stringFlag, type FlagDef } from '../flags/flags.ts';

export interface ServiceRef {
  namespace: string;
  name: string;
}

/** Parses `namespace/name`; throws when it is not one. */
export function parseServiceRef(raw: string): ServiceRef {
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9]*[a-z0-9])?)$/.exec(raw);
  if (!m) throw new Error('not namespace/name of a Service');
  return { namespace: m[1]!, name: m[3]! };
}

/** A flag naming a Service as `namespace/name`, checked when parsed; '' = none. */
export function serviceRefFlag(help: string): FlagDef<string> {
  return { ...stringFlag(help, '', 'namespace/name'), parse: (raw) => (raw === '' ? raw : (parseServiceRef(raw), raw)) };
}
