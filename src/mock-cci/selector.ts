// Equality-based label selectors (`a=b`, `a==b`, `a!=b`, `a`, `!a`), the subset CCI clients use.

export type Requirement = { key: string; op: '=' | '!=' | 'exists' | '!exists'; value?: string };

export function parseSelector(text: string): Requirement[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((term): Requirement => {
      const m = /^([A-Za-z0-9._/-]+)\s*(==|=|!=)\s*([A-Za-z0-9._-]*)$/.exec(term);
      if (m) return { key: m[1]!, op: m[2] === '!=' ? '!=' : '=', value: m[3]! };
      if (/^![A-Za-z0-9._/-]+$/.test(term)) return { key: term.slice(1), op: '!exists' };
      if (/^[A-Za-z0-9._/-]+$/.test(term)) return { key: term, op: 'exists' };
      throw new Error(`${JSON.stringify(term)} is not key=value, key!=value, key or !key`);
    });
}

export function matchesSelector(reqs: readonly Requirement[], labels: Record<string, string> | undefined): boolean {
  return reqs.every((r) => {
    const v = labels?.[r.key];
    if (r.op === 'exists') return v !== undefined;
    if (r.op === '!exists') return v === undefined;
    if (r.op === '=') return v === r.value;
    return v !== r.value;
  });
}
