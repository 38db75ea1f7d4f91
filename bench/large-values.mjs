// Large-value benchmark (issue 10, defect 7): `taskflow run` (the built CLI) of a taskflow
// with one 20 MB global and a shell task, the global written as YAML writes long text:
// double-quoted (as generators write JSON-like YAML), double-quoted with escapes, plain,
// single-quoted, and a literal block. Reports the CLI's peak RSS (process.resourceUsage in
// the measured process, bench/fixtures/report-usage.mjs), the bytes the session folder
// holds and how many times the value is in it. Targets: peak RSS <= 4 x the value + 150 MB;
// the value stored once. Usage: node bench/large-values.mjs [--mb N] [--cli path/to/bin/taskflow.js]
import { spawnSync } from 'node:child_process';
import console from 'node:console';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath, pathToFileURL, URL } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const REPORT_USAGE = pathToFileURL(
  path.join(REPO_ROOT, 'bench', 'fixtures', 'report-usage.mjs'),
).href;
const MARK = 'LARGE-VALUE-MARK';
const HEADER = 'seclab-taskflow-agent:\n  version: "1.0"\n  filetype: taskflow\n';

/** `--name value` or `--name=value`; undefined when absent. */
function stringFlag(argv, name) {
  const inline = argv.find((argument) => argument.startsWith(`--${name}=`));
  const index = argv.indexOf(`--${name}`);
  return inline ? inline.slice(name.length + 3) : index === -1 ? undefined : argv[index + 1];
}

const argv = process.argv.slice(2);
const CLI = path.resolve(stringFlag(argv, 'cli') ?? path.join(REPO_ROOT, 'bin', 'taskflow.js'));
const megabytes = Number(stringFlag(argv, 'mb') ?? '20');
if (!Number.isFinite(megabytes) || megabytes <= 0) {
  console.error(`large-values: --mb needs a positive number, got ${stringFlag(argv, 'mb')}`);
  process.exit(2);
}
const VALUE_BYTES = Math.round(megabytes * 1024 * 1024);
const TARGET_KB = (4 * VALUE_BYTES) / 1024 + 150 * 1024;

/** The global written in each style, `MARK` first so the copies can be counted. */
const STYLES = {
  'double-quoted': () => `"${MARK}${'x'.repeat(VALUE_BYTES)}"`,
  'double-quoted, escapes': () => `"${MARK}${'line\\n'.repeat(Math.ceil(VALUE_BYTES / 5))}"`,
  plain: () => `${MARK}${'x'.repeat(VALUE_BYTES)}`,
  'single-quoted': () => `'${MARK}${'x'.repeat(VALUE_BYTES)}'`,
  'literal block': () =>
    `|\n    ${MARK}\n${`    ${'x'.repeat(95)}\n`.repeat(Math.ceil(VALUE_BYTES / 100))}`,
};

function writeFlow(folder, style) {
  const file = path.join(folder, 'flow.yaml');
  fs.writeFileSync(
    file,
    `${HEADER}globals:\n  big: ${STYLES[style]()}\ntaskflow:\n  - task:\n      name: shell\n      run: echo done\n`,
  );
  return file;
}

/** Bytes of every file under `folder` and how many times `MARK` occurs in them. */
function sessionContents(folder) {
  let bytes = 0;
  let copies = 0;
  for (const entry of fs.readdirSync(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const content = fs.readFileSync(path.join(entry.parentPath, entry.name), 'latin1');
    bytes += content.length;
    copies += content.split(MARK).length - 1;
  }
  return { bytes, copies };
}

function measure(scratch, style) {
  const folder = path.join(scratch, style.replace(/[^a-z]+/g, '-'));
  fs.mkdirSync(folder, { recursive: true });
  writeFlow(folder, style);
  const usageFile = path.join(folder, 'usage.json');
  const sessions = path.join(folder, 'sessions');
  const started = performance.now();
  const result = spawnSync(
    process.execPath,
    ['--import', REPORT_USAGE, CLI, 'run', 'flow.yaml', '--output', 'plain'],
    {
      cwd: folder,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        HOME: folder,
        TMPDIR: os.tmpdir(),
        XDG_STATE_HOME: path.join(folder, 'state'),
        XDG_DATA_HOME: path.join(folder, 'data'),
        XDG_CONFIG_HOME: path.join(folder, 'config'),
        TASKFLOW_SESSION_DIR: sessions,
        BENCH_USAGE_FILE: usageFile,
        NO_COLOR: '1',
        CI: '1',
      },
    },
  );
  const wallMs = performance.now() - started;
  if (result.status !== 0) {
    console.error(`large-values: ${style}: exit ${result.status}\n${result.stderr.slice(0, 2000)}`);
    return undefined;
  }
  const usage = JSON.parse(fs.readFileSync(usageFile, 'utf8'));
  const [id] = fs.readdirSync(sessions);
  return { style, wallMs, maxRssKb: usage.maxRssKb, ...sessionContents(path.join(sessions, id)) };
}

const loads = () =>
  os
    .loadavg()
    .map((load) => load.toFixed(2))
    .join(' ');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-bench-large-'));
let failed = false;
try {
  console.log(`large-values: ${CLI}, one ${megabytes} MB global and a shell task, load ${loads()}`);
  console.log(`target: peak RSS <= ${(TARGET_KB / 1024).toFixed(0)} MB, the value stored once`);
  console.log('global written as          peak RSS MB   session MB   copies   wall s');
  for (const style of Object.keys(STYLES)) {
    const row = measure(scratch, style);
    if (!row) {
      failed = true;
      continue;
    }
    const ok = row.maxRssKb <= TARGET_KB && row.copies === 1;
    failed ||= !ok;
    console.log(
      `${style.padEnd(26)} ${(row.maxRssKb / 1024).toFixed(0).padStart(11)} ${(row.bytes / 1048576).toFixed(1).padStart(12)} ${String(row.copies).padStart(8)} ${(row.wallMs / 1000).toFixed(1).padStart(8)}  ${ok ? 'PASS' : 'FAIL'}`,
    );
  }
  console.log(`load ${loads()}`);
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
if (failed) process.exitCode = 1;
