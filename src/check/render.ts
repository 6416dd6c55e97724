// The check report as text for people: one block per pod template and per Service, then a
// one-line summary. (`-o json` prints the report itself.)
import type { Finding } from './findings.ts';
import type { CheckReport, TemplateReport } from './check.ts';

const INDENT = '  ';
const LABEL_WIDTH = 12;

function row(label: string, text: string): string[] {
  const [first = '', ...rest] = text.replace(/\n$/, '').split('\n');
  const pad = ' '.repeat(LABEL_WIDTH);
  return [`${INDENT}${label.padEnd(LABEL_WIDTH)}${first}`, ...rest.map((l) => `${INDENT}${pad}${l}`)];
}

const where = (o: { file: string; document: number }): string => `${o.file === '-' ? '' : `${o.file}, `}document ${o.document}`;

const finding = (f: Finding): string[] => row(f.severity, `${f.reason}${f.heuristic ? ' (heuristic)' : ''}: ${f.message}`);

function template(t: TemplateReport): string[] {
  const lines = [`${t.kind} ${t.namespace}/${t.name} (${where(t)}, ${t.specPath}): ${t.canBurst ? 'can burst' : 'cannot burst'}`];
  if (t.refusal) lines.push(...row('refused', `${t.refusal.reason}: ${t.refusal.message}`));
  if (t.flavor) lines.push(...row('flavor', `${t.flavor.cpu} CPU / ${t.flavor.memory}: ${t.flavor.why}`));
  if (t.resolvConf !== undefined) lines.push(...row('resolv.conf', t.resolvConf));
  for (const e of t.events) lines.push(...row('event', `${e.type} ${e.reason}: ${e.message}`));
  for (const f of t.findings) lines.push(...finding(f));
  return lines;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function renderReport(report: CheckReport): string {
  const blocks: string[][] = report.templates.map(template);
  for (const s of report.services) {
    if (s.findings.length > 0) blocks.push([`Service ${s.namespace}/${s.name} (${where(s)})`, ...s.findings.flatMap(finding)]);
  }
  if (report.ignored.length > 0) {
    blocks.push([`Not checked (they create no pods): ${report.ignored.map((o) => `${o.kind} ${o.name}`).join(', ')}`]);
  }
  const cannot = report.templates.filter((t) => !t.canBurst).length;
  const badServices = report.services.filter((s) => s.findings.some((f) => f.severity === 'error')).length;
  const summary = report.templates.length === 0
    ? 'No pods or pod templates found.'
    : `${plural(report.templates.length, 'pod template')}: ${report.templates.length - cannot} can burst, ${cannot} cannot` +
      `${badServices > 0 ? `; ${plural(badServices, 'Service')} with errors` : ''}.`;
  blocks.push([summary]);
  return `${blocks.map((b) => b.join('\n')).join('\n\n')}\n`;
}
