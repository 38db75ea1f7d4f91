#!/usr/bin/env node
import fs from 'node:fs';
import { createRequire } from 'node:module';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

// With --debug (or TASK_AGENT_DEBUG set), stack traces go through the source maps the build
// writes next to dist/ (pointing at src/); enabled before the CLI loads, so every module of
// it is mapped. Without, no map is read and the bundle loads through V8's code cache
// (dist/bundle-loader.cjs): start-up stays as fast as it can be.
const debugFlag = process.argv.some((argument) => argument === '--debug' || argument === '-d');
const debugVariable = /^(1|true|yes|on)$/i.test((process.env.TASK_AGENT_DEBUG ?? '').trim());
const debug = debugFlag || debugVariable;
if (debug) process.setSourceMapsEnabled(true);
const bundle = fileURLToPath(new URL('../dist/cli/main.cjs', import.meta.url));
const unbundled = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const bundled = fs.statSync(bundle, { throwIfNoEntry: false });
const compiled = fs.statSync(unbundled, { throwIfNoEntry: false });
// A plain `tsc` after `npm run build` leaves the older bundle behind: run what is newer.
if (bundled !== undefined && (compiled === undefined || bundled.mtimeMs >= compiled.mtimeMs)) {
  createRequire(import.meta.url)('../dist/bundle-loader.cjs').runBundle(bundle, {
    codeCache: !debug,
  });
} else {
  // A plain `tsc -p tsconfig.build.json` build: the unbundled modules.
  await import('../dist/cli/main.js');
}
