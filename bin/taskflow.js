#!/usr/bin/env node
// CommonJS (see bin/package.json): an ES module entry would load Node's ES module loader,
// which nothing else on the bundle's path needs.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const process = require('node:process');
const { pathToFileURL } = require('node:url');

// With --debug (or TASK_AGENT_DEBUG set), stack traces go through the source maps the build
// writes next to dist/ (pointing at src/); enabled before the CLI loads, so every module of
// it is mapped. Without, no map is read and the bundle loads through V8's code cache
// (dist/bundle-loader.cjs): start-up stays as fast as it can be.
const debugFlag = process.argv.some((argument) => argument === '--debug' || argument === '-d');
const debugVariable = /^(1|true|yes|on)$/i.test((process.env.TASK_AGENT_DEBUG ?? '').trim());
const debug = debugFlag || debugVariable;
if (debug) process.setSourceMapsEnabled(true);
const dist = path.join(__dirname, '..', 'dist');
const bundle = path.join(dist, 'cli', 'main.cjs');
const unbundled = path.join(dist, 'cli', 'main.js');
const bundled = fs.statSync(bundle, { throwIfNoEntry: false });
const compiled = fs.statSync(unbundled, { throwIfNoEntry: false });
// A plain `tsc` after `npm run build` leaves the older bundle behind: run what is newer.
if (bundled !== undefined && (compiled === undefined || bundled.mtimeMs >= compiled.mtimeMs)) {
  require(path.join(dist, 'bundle-loader.cjs')).runBundle(bundle, { codeCache: !debug });
} else {
  // A plain `tsc -p tsconfig.build.json` build: the unbundled modules.
  import(pathToFileURL(unbundled).href).catch((error) => {
    process.stderr.write(
      `taskflow: cannot start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  });
}
