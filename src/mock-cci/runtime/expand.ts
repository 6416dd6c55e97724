// Kubernetes' $(VAR) expansion (k8s.io/kubernetes third_party/forked/golang/expansion), used
// for env values (each may refer to the ones before it), command and args: `$(NAME)` becomes
// the variable's value when it is defined and stays as written otherwise; `$$` is an escaped `$`.
import type { CciEnvVar } from '../../cci/types.ts';

export function expand(input: string, vars: ReadonlyMap<string, string>): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const next = input[cursor + 1];
    if (next === '$') {
      out += '$';
      cursor++;
    } else if (next === '(') {
      const close = input.indexOf(')', cursor + 2);
      if (close === -1) {
        // An unclosed reference is kept as written; scanning goes on after it.
        out += '$(';
        cursor++;
        checkpoint = cursor + 1;
        continue;
      }
      const name = input.slice(cursor + 2, close);
      const value = vars.get(name);
      out += value ?? `$(${name})`;
      cursor = close;
    } else {
      out += '$' + next;
      cursor++;
    }
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/** What the pod learns only once it runs: the downward API's IP fields. */
export interface PodAddresses {
  podIP: string;
  hostIP: string;
}

function fieldValue(path: NonNullable<CciEnvVar['valueFrom']>['fieldRef']['fieldPath'], at: PodAddresses): string {
  return path === 'status.podIP' || path === 'status.podIPs' ? at.podIP : at.hostIP;
}

/**
 * Resolves a container's env in order; later entries see earlier ones (and override them).
 * Entries with a fieldRef take the pod's addresses, known only now (the translator cannot).
 */
export function resolveEnv(env: readonly CciEnvVar[] | undefined, at: PodAddresses): Map<string, string> {
  const vars = new Map<string, string>();
  for (const { name, value, valueFrom } of env ?? []) {
    vars.set(name, valueFrom ? fieldValue(valueFrom.fieldRef.fieldPath, at) : expand(value, vars));
  }
  return vars;
}
