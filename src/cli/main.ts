// The `burstlet` command: one binary, one subcommand per role.
import { helpText, parseFlags, UsageError, type Subcommand } from '../flags/flags.ts';

// Each subcommand's module is loaded only when it runs: a process imports what its role needs
// (the sidecar in every burst pod carries ~11 MiB less heap than with every role loaded).
const subcommands: Readonly<Record<string, () => Promise<{ default: Subcommand }>>> = {
  local: () => import('./local.ts'),
  node: () => import('./node.ts'),
  'mock-cci': () => import('./mock-cci.ts'),
  sidecar: () => import('./sidecar.ts'),
  check: () => import('./check.ts'),
};

async function topHelp(): Promise<string> {
  const commands = await Promise.all(Object.values(subcommands).map(async (load) => (await load()).default));
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: burstlet <subcommand> [flags]',
    '',
    'A virtual kubelet that bursts Kubernetes pods to CCI (serverless containers).',
    '',
    'Subcommands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `burstlet <subcommand> --help` for its flags.',
  ].join('\n');
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(await topHelp());
    return name === undefined ? 2 : 0;
  }
  const load = Object.hasOwn(subcommands, name) ? subcommands[name] : undefined;
  if (!load) {
    console.error(`burstlet: unknown subcommand ${JSON.stringify(name)}; expected one of ${Object.keys(subcommands).join(', ')}`);
    return 2;
  }
  const command = (await load()).default;
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(helpText(command));
    return 0;
  }
  try {
    return (await command.run(parseFlags(command, rest))) ?? 0;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
}

if (import.meta.main) {
  const code = await main(process.argv.slice(2));
  // Servers keep the process alive; only a finished or failed command sets an exit code.
  if (code !== 0) process.exit(code);
}
