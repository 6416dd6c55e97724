// A Service named on a command line: `namespace/name`.

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
