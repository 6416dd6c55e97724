// The CLI entry for the burstlet processes burstlet starts itself (the local environment's
// nodes, `burstlet` images in the mock's runtime): cli/main.ts when running from the sources,
// cli/main.js when running from the build. It lives below every layer that starts burstlet.
import path from 'node:path';

/** `.ts` from the sources, `.js` from the build: files started by path follow this module. */
export const MODULE_EXTENSION = path.extname(import.meta.filename);

export const BURSTLET_MAIN = path.join(import.meta.dirname, '..', 'cli', `main${MODULE_EXTENSION}`);

/** The build's entry (`npm run build`), which the installed `burstlet` command runs. */
export const BUILT_MAIN = path.resolve(import.meta.dirname, '../../dist/cli/main.js');
