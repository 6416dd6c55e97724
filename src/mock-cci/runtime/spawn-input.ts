// What a process is started with (argv, environment, working directory) goes to execve as C
// strings, so none may hold a NUL byte; Node's spawn throws synchronously on one. The pod or
// exec request that carries it fails with this message; the mock and its other pods run on.

/** Why a process cannot start with these inputs, or undefined when it can. */
export function nulByteRefusal(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string | undefined): string | undefined {
  const i = argv.findIndex((a) => a.includes('\0'));
  if (i >= 0) return `argument ${i} (${JSON.stringify(argv[i])}) contains a NUL byte, which no process argument can hold`;
  for (const [name, value] of Object.entries(env)) {
    if (name.includes('\0') || value?.includes('\0')) return `environment variable ${JSON.stringify(name)} contains a NUL byte, which no environment can hold`;
  }
  if (cwd?.includes('\0')) return `working directory ${JSON.stringify(cwd)} contains a NUL byte, which no path can hold`;
  return undefined;
}
