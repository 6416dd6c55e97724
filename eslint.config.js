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
  {
    // Typed error handling (issue #13): what a failure means comes from src/kube/errors.ts, its
    // text from errorMessage, so neither drifts back into casts and status-code comparisons.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error',
        {
          selector: "MemberExpression[property.name='message'] > TSAsExpression.object[typeAnnotation.typeName.name='Error']",
          message: 'Use errorMessage(err) (src/log/error-message.ts), not (err as Error).message.',
        },
        {
          selector: "BinaryExpression[operator=/^[!=]==$/][left.type='MemberExpression'][left.property.name='status']:matches([right.value=404], [right.value=409], [right.value=410], [right.value=429])",
          message: 'Use the predicates of src/kube/errors.ts (isNotFound, isConflict, isAlreadyExists, isGone, isTooManyRequests).',
        },
      ],
    },
  },
  ...layerRules(),
);
