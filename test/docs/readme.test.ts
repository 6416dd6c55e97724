// The README lists every flag of every subcommand: a flag added without documentation fails here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import local from '../../src/cli/local.ts';
import mockCci from '../../src/cli/mock-cci.ts';
import node from '../../src/cli/node.ts';
import sidecar from '../../src/cli/sidecar.ts';
import check from '../../src/cli/check.ts';
import { helpText, type Subcommand } from '../../src/flags/flags.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it.each([local, node, mockCci, sidecar, check] as Subcommand[])('shows the --help of burstlet %$', (command) => {
    expect(readme).toContain(helpText(command));
  });
  it('has the quick start and the test command', () => {
    expect(readme).toContain('npm ci');
    expect(readme).toContain('npm start');
    expect(readme).toContain('npm test');
  });
});
