// Runs the benchmarks in bench/: those named on the command line, or all of them.
// Arguments from the first one starting with "-" on are passed to every benchmark.
// Usage: node bench/run-all.mjs [name...] [--runs N ...]   (npm run bench -- startup --runs 5)
import { spawnSync } from 'node:child_process';
import console from 'node:console';
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const SELF = path.basename(fileURLToPath(import.meta.url));

const available = fs
  .readdirSync(BENCH_DIR)
  .filter((name) => name.endsWith('.mjs') && name !== SELF)
  .map((name) => name.slice(0, -'.mjs'.length))
  .sort();

const argv = process.argv.slice(2);
const firstFlag = argv.findIndex((argument) => argument.startsWith('-'));
const names = (firstFlag === -1 ? argv : argv.slice(0, firstFlag)).map((name) =>
  name.replace(/\.mjs$/, ''),
);
const passThrough = firstFlag === -1 ? [] : argv.slice(firstFlag);

const unknown = names.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(
    `run-all: unknown benchmark ${unknown.join(', ')} (available: ${available.join(', ')})`,
  );
  process.exit(2);
}

const selected = names.length > 0 ? names : available;
const failures = [];
for (const name of selected) {
  console.log(`\n== ${name}`);
  const result = spawnSync(
    process.execPath,
    [path.join(BENCH_DIR, `${name}.mjs`), ...passThrough],
    {
      stdio: 'inherit',
    },
  );
  if (result.status !== 0) failures.push(`${name} (exit ${result.status ?? result.signal})`);
}

console.log(`\n${selected.length - failures.length} passed, ${failures.length} failed`);
if (failures.length > 0) {
  console.log(`failed: ${failures.join(', ')}`);
  process.exitCode = 1;
}
