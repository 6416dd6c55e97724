#!/usr/bin/env node
// Entry for the installed `burstlet` command: the build in dist/ (`npm run build`, run by
// `npm ci`/`npm install` through `prepare`), plain JavaScript with no type stripping at run time.
import { main } from "../dist/cli/main.js";

const code = await main(process.argv.slice(2));
if (code !== 0) process.exit(code);
