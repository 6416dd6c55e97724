// The machine facts preflightIsolated judges: who we are, which commands PATH finds (the
// runtime spawns them by name), and the host's IPv4 addresses.
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ISOLATED_COMMANDS, parseIpAddrs, type MachineFacts } from './preflight.ts';

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '').some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export function probeMachine(): MachineFacts {
  const commands = new Set(ISOLATED_COMMANDS.map((r) => r.command).filter(onPath));
  let addresses;
  if (commands.has('ip')) {
    try {
      addresses = parseIpAddrs(execFileSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8', timeout: 10_000 }));
    } catch {
      addresses = undefined;
    }
  }
  return { uid: process.getuid?.(), commands, addresses };
}
