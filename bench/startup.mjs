// Start-up benchmark (quality.md "Benchmarks"): median wall time of `taskflow --help` and
// `taskflow validate <10-task flow>` against bare `node -e 0`, measured in the same run.
// The three commands are interleaved per round (in rotating order) so machine noise hits
// all of them alike. Usage: node bench/startup.mjs [--runs N]
import { spawnSync } from 'node:child_process';
import console from 'node:console';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const CLI = path.join(REPO_ROOT, 'bin/taskflow.js');
const FLOW = path.join('bench', 'fixtures', 'ten-tasks.yaml');
const WARMUP_ROUNDS = 2;

/** Targets: median of the command / median of `node -e 0`. */
const TARGETS = { help: 2.5, validate: 4 };

function parseRuns(argv) {
  const index = argv.indexOf('--runs');
  const inline = argv.find((argument) => argument.startsWith('--runs='));
  const text = inline ? inline.slice('--runs='.length) : index === -1 ? '15' : argv[index + 1];
  const runs = Number(text);
  if (!Number.isInteger(runs) || runs < 1) {
    console.error(`startup: --runs needs a positive integer, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return runs;
}

const COMMANDS = [
  { key: 'node', label: 'node -e 0', args: ['-e', '0'] },
  { key: 'help', label: 'taskflow --help', args: [CLI, '--help'] },
  { key: 'validate', label: `taskflow validate ${FLOW}`, args: [CLI, 'validate', FLOW] },
];

function childEnvironment() {
  const environment = { ...process.env, NO_COLOR: '1' };
  delete environment.NODE_OPTIONS;
  delete environment.TASKFLOW_PATH;
  return environment;
}

/** Wall time of one run in milliseconds; throws when the command fails. */
function timeOnce(command, environment) {
  const started = performance.now();
  const result = spawnSync(process.execPath, command.args, {
    cwd: REPO_ROOT,
    env: environment,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  const elapsed = performance.now() - started;
  if (result.status !== 0) {
    throw new Error(
      `"${command.label}" exited ${result.status ?? result.signal}: ${result.stderr.trim()}`,
    );
  }
  return elapsed;
}

function quantile(sorted, fraction) {
  // nearest rank, so every figure is a measured run
  const rank = Math.max(1, Math.ceil(fraction * sorted.length));
  return sorted[rank - 1];
}

function main() {
  const runs = parseRuns(process.argv.slice(2));
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'cli', 'main.js'))) {
    console.error('startup: dist/ is missing; run "npm run build" first (npm run bench does)');
    process.exit(2);
  }
  const environment = childEnvironment();
  const samples = Object.fromEntries(COMMANDS.map((command) => [command.key, []]));
  for (let round = 0; round < WARMUP_ROUNDS + runs; round++) {
    for (let offset = 0; offset < COMMANDS.length; offset++) {
      const command = COMMANDS[(round + offset) % COMMANDS.length];
      const elapsed = timeOnce(command, environment);
      if (round >= WARMUP_ROUNDS) samples[command.key].push(elapsed);
    }
  }

  const rows = COMMANDS.map((command) => {
    const sorted = [...samples[command.key]].sort((a, b) => a - b);
    return { ...command, median: quantile(sorted, 0.5), p90: quantile(sorted, 0.9) };
  });
  const baseline = rows[0].median;
  const width = Math.max(...rows.map((row) => row.label.length));
  console.log(
    `startup: ${runs} runs each (after ${WARMUP_ROUNDS} warm-up rounds), node ${process.version}`,
  );
  console.log(`${'command'.padEnd(width)}  median ms   p90 ms   ratio`);
  for (const row of rows) {
    const ratio = (row.median / baseline).toFixed(2);
    console.log(
      `${row.label.padEnd(width)}  ${row.median.toFixed(1).padStart(9)}  ${row.p90.toFixed(1).padStart(7)}  ${ratio.padStart(6)}x`,
    );
  }
  let failed = false;
  for (const row of rows.filter((candidate) => candidate.key in TARGETS)) {
    const ratio = row.median / baseline;
    const target = TARGETS[row.key];
    const verdict = ratio <= target ? 'PASS' : 'FAIL';
    failed ||= verdict === 'FAIL';
    console.log(`target ${row.label}: <= ${target}x node -e 0 — ${ratio.toFixed(2)}x ${verdict}`);
  }
  process.exitCode = failed ? 1 : 0;
}

main();
