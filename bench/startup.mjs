// Start-up benchmark (quality.md "Benchmarks", issue 15): median wall time against bare
// `node -e 0`, measured in the same run, of
//   - `taskflow --help`,
//   - `taskflow validate <10-task flow>`,
//   - `taskflow run <one-shell-task flow>`,
//   - the bundled echo MCP server from spawn to its answer to `initialize`.
// The commands are interleaved per round (in rotating order) so machine noise hits all of
// them alike; the load average is read first and reported next to PASS/FAIL.
// Usage: node bench/startup.mjs [--runs N]
import { spawn, spawnSync } from 'node:child_process';
import console from 'node:console';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import { childEnvironment } from '../scripts/child-environment.mjs';
import { initializeLine } from '../scripts/mcp-initialize.mjs';
import { exitUnlessBuilt, integerFlag } from './fixtures/bench-args.mjs';
import { loadVerdict, machineLoad } from './fixtures/machine-load.mjs';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const CLI = path.join(REPO_ROOT, 'bin/taskflow.js');
const ECHO_SERVER = path.join(REPO_ROOT, 'dist/mcp-servers/echo.js');
const TEN_TASKS = path.join('bench', 'fixtures', 'ten-tasks.yaml');
const ONE_SHELL_TASK = path.join('bench', 'fixtures', 'one-shell-task.yaml');
const WARMUP_ROUNDS = 2;

/** Targets (issue 15): median of the command / median of `node -e 0`. */
const TARGETS = { help: 1.3, validate: 1.8, run: 2.5, echo: 2 };

const INITIALIZE = initializeLine('startup-bench');

const COMMANDS = [
  { key: 'node', label: 'node -e 0', args: ['-e', '0'] },
  { key: 'help', label: 'taskflow --help', args: [CLI, '--help'] },
  { key: 'validate', label: `taskflow validate ${TEN_TASKS}`, args: [CLI, 'validate', TEN_TASKS] },
  { key: 'run', label: `taskflow run ${ONE_SHELL_TASK}`, args: [CLI, 'run', ONE_SHELL_TASK] },
  { key: 'echo', label: 'echo server to initialised', args: [ECHO_SERVER], untilInitialized: true },
];

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

/** Milliseconds from spawning an MCP server to its `initialize` answer; then stops it. */
function timeUntilInitialized(command, environment) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, command.args, {
      cwd: REPO_ROOT,
      env: environment,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let answeredAt;
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
      if (answeredAt === undefined && stdout.includes('"id":1')) {
        answeredAt = performance.now();
        child.stdin.end();
        child.kill();
      }
    });
    child.once('error', reject);
    child.once('close', () => {
      if (answeredAt === undefined)
        reject(new Error(`"${command.label}" ended without answering: ${stderr.trim()}`));
      else resolve(answeredAt - started);
    });
    child.stdin.write(INITIALIZE);
  });
}

function quantile(sorted, fraction) {
  // nearest rank, so every figure is a measured run
  const rank = Math.max(1, Math.ceil(fraction * sorted.length));
  return sorted[rank - 1];
}

async function main() {
  const runs = integerFlag('startup', process.argv.slice(2), 'runs', { fallback: 15 });
  exitUnlessBuilt('startup', REPO_ROOT, ['dist/cli/main.cjs', 'dist/mcp-servers/echo.js']);
  const load = machineLoad();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-bench-startup-'));
  const environment = childEnvironment(scratch);
  const samples = Object.fromEntries(COMMANDS.map((command) => [command.key, []]));
  try {
    for (let round = 0; round < WARMUP_ROUNDS + runs; round++) {
      for (let offset = 0; offset < COMMANDS.length; offset++) {
        const command = COMMANDS[(round + offset) % COMMANDS.length];
        const elapsed = command.untilInitialized
          ? await timeUntilInitialized(command, environment)
          : timeOnce(command, environment);
        if (round >= WARMUP_ROUNDS) samples[command.key].push(elapsed);
      }
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }

  const rows = COMMANDS.map((command) => {
    const sorted = [...samples[command.key]].sort((a, b) => a - b);
    return { ...command, median: quantile(sorted, 0.5), p90: quantile(sorted, 0.9) };
  });
  const baseline = rows[0].median;
  const width = Math.max(...rows.map((row) => row.label.length));
  console.log(
    `startup: ${runs} runs each (after ${WARMUP_ROUNDS} warm-up rounds), node ${process.version}, ${load.text}`,
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
  console.log(loadVerdict(load, failed));
  process.exitCode = failed ? 1 : 0;
}

await main();
