import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { FORBIDDEN, LAYERS } from './layers.js';

/**
 * One no-restricted-imports rule per folder of src/: the folders of its own layer and of every
 * layer above are off limits. Imports in src/ are relative, so one that leaves a folder climbs
 * to src/ and names the folder it enters (no subfolder shares a top-level folder's name).
 */
function layerRules() {
  return LAYERS.flatMap((layer, i) => {
    const below = LAYERS.slice(0, i).flatMap((l) => l.folders);
    return layer.folders.map((folder) => {
      const forbidden = LAYERS.slice(i).flatMap((l) => l.folders).filter((f) => f !== folder);
      const extra = FORBIDDEN.filter((f) => f.from === folder).map((f) => ({
        regex: `^(\\.\\./)+${f.to.replaceAll('.', '\\.')}(/|$)`,
        message: `src/${folder} must not import src/${f.to}: ${f.why} (layers.js).`,
      }));
      return {
        files: [`src/${folder}/**/*.ts`],
        rules: {
          'no-restricted-imports': ['error', {
            patterns: [{
              regex: `^(\\.\\./)+(${forbidden.join('|')})/`,
              message: `src/${folder} (layer ${layer.name}) imports only from lower layers: ${below.join(', ') || 'none'} (layers.js).`,
            }, ...extra],
          }],
        },
      };
    });
  });
}

export default tseslint.config(
  { ignores: ['node_modules/**', '.burstlet/**', 'coverage/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
      // TypeScript checks undefined names; this rule only misreads Node globals.
      'no-undef': 'off',
    },
  },
  ...layerRules(),
);
