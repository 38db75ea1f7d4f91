// Validation scale benchmark (issue 10, defect 6): wall time of `taskflow validate` (the
// built CLI) on generated taskflows with 10k / 50k / 100k globals; with 5k / 20k / 50k
// misplaced globals (top-level keys, each reported as an unknown field with its position
// and a did-you-mean); and with 1k / 5k references to personalities that do not exist in a
// search root of 500 personality files and 100 folders (each gets a did-you-mean). Times are net of the CLI's start-up (`validate`
// of a one-task file, measured alongside); each is the median of --runs runs. Growth
// compares net times with input sizes: linear work grows like the input, quadratic like
// its square. Targets: 100k globals in <= 3 s (wall); growth <= 2x the input's.
// Usage: node bench/validate-scale.mjs [--runs N] [--cli path/to/bin/taskflow.js]
// (--cli measures another build, e.g. an older checkout, for before/after figures)
import { spawnSync } from 'node:child_process';
import console from 'node:console';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const CLI = path.resolve(
  stringFlag(process.argv.slice(2), 'cli') ?? path.join(REPO_ROOT, 'bin', 'taskflow.js'),
);
const HEADER = (filetype) => `seclab-taskflow-agent:\n  version: "1.0"\n  filetype: ${filetype}\n`;
const GLOBALS = [10_000, 50_000, 100_000];
const MISPLACED = [5_000, 20_000, 50_000];
const UNKNOWN = [1_000, 5_000];
const ROOT_FILES = 500;
const TARGET_GLOBALS_MS = 3_000;
const MAX_GROWTH_FACTOR = 2;

/** `--name value` or `--name=value`; undefined when absent. */
function stringFlag(argv, name) {
  const inline = argv.find((argument) => argument.startsWith(`--${name}=`));
  const index = argv.indexOf(`--${name}`);
  return inline ? inline.slice(name.length + 3) : index === -1 ? undefined : argv[index + 1];
}

function parseRuns(argv) {
  const text = stringFlag(argv, 'runs') ?? '3';
  const runs = Number(text);
  if (!Number.isInteger(runs) || runs < 1) {
    console.error(`validate-scale: --runs needs a positive integer, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return runs;
}

function writeGlobals(folder, count) {
  const lines = [HEADER('taskflow'), 'globals:'];
  for (let index = 0; index < count; index++) lines.push(`  global_${index}: "value ${index}"`);
  lines.push('taskflow:', '  - task:', '      run: echo {{ globals.global_1 }}', '');
  const file = path.join(folder, `globals-${count}.yaml`);
  fs.writeFileSync(file, lines.join('\n'));
  return file;
}

/** Globals written without the `globals:` line: each is an unknown top-level field. */
function writeMisplaced(folder, count) {
  const lines = [HEADER('taskflow')];
  for (let index = 0; index < count; index++) lines.push(`global_${index}: "value ${index}"`);
  lines.push('taskflow:', '  - task:', '      run: echo hi', '');
  const file = path.join(folder, `misplaced-${count}.yaml`);
  fs.writeFileSync(file, lines.join('\n'));
  return file;
}

function writeUnknown(folder, count) {
  const lines = [
    HEADER('taskflow'),
    'taskflow:',
    '  - task:',
    '      user_prompt: hi',
    '      agents:',
  ];
  for (let index = 0; index < count; index++)
    lines.push(`        - personalities.missing_${index}`);
  const file = path.join(folder, `unknown-${count}.yaml`);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function writeRoot(folder) {
  const personalities = path.join(folder, 'personalities');
  fs.mkdirSync(personalities, { recursive: true });
  for (let index = 0; index < ROOT_FILES; index++) {
    fs.writeFileSync(
      path.join(personalities, `person_${index}.yaml`),
      `${HEADER('personality')}personality: p\ntask: t\n`,
    );
  }
  for (let index = 0; index < 100; index++) fs.mkdirSync(path.join(folder, `folder_${index}`));
}

/** Wall time of one `taskflow validate`, and its exit code (2 when it reports errors). */
function validate(folder, file) {
  const started = performance.now();
  const result = spawnSync(process.execPath, [CLI, 'validate', path.basename(file)], {
    cwd: folder,
    env: { ...process.env, NO_COLOR: '1' },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  return { ms: performance.now() - started, code: result.status, stderr: result.stderr };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function measure(folder, file, runs, expectedCode) {
  const times = [];
  for (let run = 0; run < runs; run++) {
    const result = validate(folder, file);
    if (result.code !== expectedCode) {
      console.error(`validate-scale: ${path.basename(file)} exited ${result.code}`);
      console.error(result.stderr.split('\n').slice(0, 5).join('\n'));
      process.exit(1);
    }
    times.push(result.ms);
  }
  return median(times);
}

const runs = parseRuns(process.argv.slice(2));
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-bench-validate-'));
try {
  writeRoot(scratch);
  const baselineFile = writeGlobals(scratch, 1);
  const loads = () =>
    os
      .loadavg()
      .map((load) => load.toFixed(2))
      .join(' ');
  console.log(`validate-scale: ${CLI}, median of ${runs} run(s), load ${loads()}`);
  const baselineMs = measure(scratch, baselineFile, runs, 0);
  console.log(`start-up (1 global): ${baselineMs.toFixed(0)} ms`);
  console.log('input                      wall ms   net ms');
  const rows = [];
  const add = (kind, count, file, expectedCode) => {
    const row = { kind, count, ms: measure(scratch, file, runs, expectedCode) };
    rows.push(row);
    const label = `${count} ${kind}`.padEnd(24);
    console.log(
      `${label} ${row.ms.toFixed(0).padStart(9)} ${(row.ms - baselineMs).toFixed(0).padStart(8)}`,
    );
  };
  for (const count of GLOBALS) add('globals', count, writeGlobals(scratch, count), 0);
  for (const count of MISPLACED) add('misplaced globals', count, writeMisplaced(scratch, count), 0);
  for (const count of UNKNOWN) add('unknown references', count, writeUnknown(scratch, count), 2);
  console.log(`load ${loads()}`);
  let failed = false;
  for (const kind of ['globals', 'misplaced globals', 'unknown references']) {
    const of = rows.filter((row) => row.kind === kind);
    const first = of[0];
    const last = of.at(-1);
    const inputGrowth = last.count / first.count;
    const net = (row) => Math.max(1, row.ms - baselineMs);
    const timeGrowth = net(last) / net(first);
    const ok = timeGrowth <= inputGrowth * MAX_GROWTH_FACTOR;
    failed ||= !ok;
    console.log(
      `${kind}: input x${inputGrowth.toFixed(0)}, net time x${timeGrowth.toFixed(1)} (linear ~x${inputGrowth.toFixed(0)}, quadratic ~x${(inputGrowth ** 2).toFixed(0)}) ${ok ? 'PASS' : 'FAIL'}`,
    );
  }
  const largest = rows.find((row) => row.kind === 'globals' && row.count === 100_000);
  const globalsOk = largest.ms <= TARGET_GLOBALS_MS;
  failed ||= !globalsOk;
  console.log(
    `100000 globals: ${largest.ms.toFixed(0)} ms wall (target <= ${TARGET_GLOBALS_MS}) ${globalsOk ? 'PASS' : 'FAIL'}`,
  );
  if (failed) process.exitCode = 1;
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
