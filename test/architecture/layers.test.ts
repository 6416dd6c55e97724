import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importsOf, layerViolations, readTree, type Forbidden, type Layer } from './layer-check.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const { LAYERS, FORBIDDEN } = (await import(pathToFileURL(path.join(repo, 'layers.js')).href)) as { LAYERS: Layer[]; FORBIDDEN: Forbidden[] };

describe('layers', () => {
  it('src/ imports nothing sideways or upward, and nothing the table forbids', () => {
    expect(layerViolations(readTree(path.join(repo, 'src')), LAYERS, FORBIDDEN)).toEqual([]);
  });

  it('every folder of src/ is in exactly one layer', () => {
    const folders = new Set([...readTree(path.join(repo, 'src')).keys()].map((f) => f.split('/')[0]));
    const listed = LAYERS.flatMap((l) => l.folders);
    expect(new Set(listed).size).toBe(listed.length);
    expect([...folders].sort()).toEqual([...listed].sort());
  });

  it('finds each kind of violation (the check can fail)', () => {
    const layers: Layer[] = [{ name: 'low', folders: ['a', 'b'] }, { name: 'high', folders: ['c'] }];
    const files = new Map([
      ['a/x.ts', "import { y } from '../c/y.ts';"],
      ['b/x.ts', "export type { T } from '../a/t.ts';\nconst m = await import('../a/m.ts');"],
      ['c/x.ts', "import '../a/side-effect.ts';\nimport type { U } from '../b/u.ts';\nimport { z } from './z.ts';"],
    ]);
    const found = layerViolations(files, layers, [{ from: 'c', to: 'b/u.ts', why: 'not that one' }]);
    expect(found).toEqual([
      { file: 'a/x.ts', imports: 'c/y.ts', why: 'upward (low -> high)' },
      { file: 'b/x.ts', imports: 'a/t.ts', why: 'sideways (both low)' },
      { file: 'b/x.ts', imports: 'a/m.ts', why: 'sideways (both low)' },
      { file: 'c/x.ts', imports: 'b/u.ts', why: 'not that one' },
    ]);
  });

  it('reads multi-line imports', () => {
    expect(importsOf("import {\n  a,\n  b,\n} from '../k/c.ts';\nimport x from 'node:fs';")).toEqual(['../k/c.ts']);
  });
});
