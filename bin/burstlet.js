#!/usr/bin/env node
// Entry for the installed `burstlet` command; the sources run directly on Node 24's type stripping.
import { main } from "../src/cli/main.ts";

const code = await main(process.argv.slice(2));
if (code !== 0) process.exit(code);
