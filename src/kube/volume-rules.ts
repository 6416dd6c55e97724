// Kubernetes' rules for the paths and file modes of volumes (pkg/apis/core/validation), as
// pure checks: each returns kube-apiserver's detail message for what is wrong, or nothing.
// The embedded API server words its causes with them, the translator refuses what breaks
// them, and the mock CCI admits nothing else: a volume never names a place outside its own.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A volume's name becomes a directory's: a DNS-1123 label, never a path. */
export function volumeNameProblem(name: unknown): string | undefined {
  if (typeof name === 'string' && name.length <= 63 && DNS1123_LABEL.test(name)) return undefined;
  return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', start and end with an alphanumeric character, and be at most 63 characters";
}

export const FILE_MODE_MESSAGE = 'must be a number between 0 and 0777 (octal), both inclusive';

/** A file or default mode: an integer 0-0777 (no setuid, setgid or sticky bit). */
export function fileModeProblem(mode: unknown): string | undefined {
  return Number.isInteger(mode) && (mode as number) >= 0 && (mode as number) <= 0o777 ? undefined : FILE_MODE_MESSAGE;
}

/** validateLocalDescendingPath: relative, and no `..` element (subPath). */
export function descendingPathProblems(p: string): string[] {
  const out: string[] = [];
  if (p.startsWith('/')) out.push('must be a relative path');
  if (p.split('/').includes('..')) out.push("must not contain '..'");
  return out;
}

/** validateLocalNonReservedPath: descending, and not starting with `..` (the kubelet's ..data). */
export function nonReservedPathProblems(p: string): string[] {
  const out = descendingPathProblems(p);
  if (p.startsWith('..') && !p.startsWith('../')) out.push("must not start with '..'");
  return out;
}
