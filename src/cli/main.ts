// The `burstlet` command: one binary, one subcommand per role.
import { helpText, parseFlags, UsageError, type Subcommand } from './flags.ts';
import local from './local.ts';
import node from './node.ts';
import mockCci from './mock-cci.ts';
import sidecar from './sidecar.ts';

const subcommands: readonly Subcommand[] = [local, node, mockCci, sidecar];

function topHelp(): string {
  const width = Math.max(...subcommands.map((c) => c.name.length));
  return [
    'Usage: burstlet <subcommand> [flags]',
    '',
    'A virtual kubelet that bursts Kubernetes pods to CCI (serverless containers).',
    '',
    'Subcommands:',
    ...subcommands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `burstlet <subcommand> --help` for its flags.',
  ].join('\n');
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(topHelp());
    return name === undefined ? 2 : 0;
  }
  const command = subcommands.find((c) => c.name === name);
  if (!command) {
    console.error(`burstlet: unknown subcommand ${JSON.stringify(name)}; expected one of ${subcommands.map((c) => c.name).join(', ')}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(helpText(command));
    return 0;
  }
  try {
    await command.run(parseFlags(command, rest));
    return 0;
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
