// Runs once before the e2e tests: checks what the isolated runtime needs (preflightIsolated,
// as burstlet local and mock-cci do) and says at the top of the output what is missing and
// which tests are skipped for it, instead of letting them fail one by one.
import type { TestProject } from 'vitest/node';
import { preflightIsolated, preflightMessage } from '../../src/mock-cci/runtime/preflight.ts';
import { probeMachine } from '../../src/mock-cci/runtime/preflight-probe.ts';

export default function setup(project: TestProject): void {
  const result = preflightIsolated(probeMachine(), []);
  if (!result.ok) {
    const otherwise = 'The e2e tests that need it are skipped, each saying so in its name; the others run their pods as plain processes (--runtime=process).';
    console.log(`\n${preflightMessage('npm test', result, otherwise)}\n`);
  }
  project.provide('isolatedRuntime', { ok: result.ok, problems: result.problems });
}
