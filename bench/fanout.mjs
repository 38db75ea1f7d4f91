// Fan-out benchmark (quality.md "Benchmarks"): a repeat_prompt taskflow with N items under
// async_limit C, one stdio MCP tool call per item (the bundled echo server), against a fake
// chat completions server answering every request after a fixed latency L. Each item takes
// two model turns (tool call, answer), so ideal = N x 2 x L / C.
// Reports wall time / ideal (whole run and the fan-out task), the runner's CPU time (the CLI
// process itself, via a preloaded resourceUsage report) and peak RSS; PASS/FAIL against
// the targets, the wall time judged on the fan-out task.
// Without --items / --limit both shapes of the targets run: 200 items under async_limit 20,
// and 1,000 under 50 (issue 15: wall time, runner CPU per item and peak RSS).
// Usage: node bench/fanout.mjs [--items N] [--limit C] [--latency MS] [--runs R]
import { spawn } from 'node:child_process';
import console from 'node:console';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath, pathToFileURL, URL } from 'node:url';
import { exitUnlessBuilt, integerFlag } from './fixtures/bench-args.mjs';
import { startFakeChatServer } from './fixtures/fake-chat-server.mjs';
import { fanOutTask, listTask, taskflow } from './fixtures/flow-yaml.mjs';
import { loadVerdict, machineLoad } from './fixtures/machine-load.mjs';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const FIXTURES = path.join(REPO_ROOT, 'bench', 'fixtures');
const CLI = path.join(REPO_ROOT, 'bin', 'taskflow.js');
const REPORT_USAGE = pathToFileURL(path.join(FIXTURES, 'report-usage.mjs')).href;
const TURNS_PER_ITEM = 2;

/** The shapes measured by default, each with its targets (fan-out wall time / ideal, the
 *  runner's CPU per item, its peak RSS). */
const SHAPES = [
  { items: 200, limit: 20, targets: { wallRatio: 1.3, peakRssMb: 200 } },
  { items: 1000, limit: 50, targets: { wallRatio: 1.15, cpuPerItemMs: 2.5, peakRssMb: 150 } },
];

function taskflowYaml(items, limit) {
  return taskflow('fanout-models.yaml', [
    listTask(items),
    fanOutTask({ agent: 'fanout-echoer.yaml', asyncLimit: limit, prompt: 'Echo' }),
  ]);
}

/** CPU time (ms) of this process's waited-for children so far (Linux), else undefined. */
function childrenCpuMs() {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 16 and 17 of stat(5) (cutime, cstime) are at 13 and 14 after "(comm)".
    const ticks = Number(fields[13]) + Number(fields[14]);
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

function runCli(args, { cwd, env }) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let exitedAt = 0;
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    child.once('exit', () => (exitedAt = performance.now()));
    child.once('error', reject);
    child.once('close', (code, signal) =>
      resolve({ code, signal, stdout, stderr, wallMs: exitedAt - started }),
    );
  });
}

function parseEvents(stdout) {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
}

/** One run of the CLI against a fresh fake server; throws when the run did not succeed. */
async function measureOnce({ items, limit, latencyMs, scratch }) {
  const server = await startFakeChatServer({ latencyMs });
  try {
    const flow = path.join(scratch, 'fanout.yaml');
    fs.writeFileSync(flow, taskflowYaml(items, limit));
    const usageFile = path.join(scratch, 'usage.json');
    fs.rmSync(usageFile, { force: true });
    const env = {
      PATH: process.env.PATH,
      HOME: scratch,
      TMPDIR: os.tmpdir(),
      XDG_STATE_HOME: path.join(scratch, 'state'),
      XDG_DATA_HOME: path.join(scratch, 'data'),
      XDG_CONFIG_HOME: path.join(scratch, 'config'),
      TASKFLOW_SESSION_DIR: path.join(scratch, 'sessions'),
      AI_API_ENDPOINT: server.url,
      AI_API_TOKEN: 'bench-token',
      CI: '1',
      NO_COLOR: '1',
      BENCH_USAGE_FILE: usageFile,
    };
    const childrenBefore = childrenCpuMs();
    const serverCpuBefore = process.cpuUsage();
    const result = await runCli(['--import', REPORT_USAGE, CLI, 'run', flow, '--output', 'jsonl'], {
      cwd: FIXTURES,
      env,
    });
    const serverCpu = process.cpuUsage(serverCpuBefore);
    const childrenAfter = childrenCpuMs();

    const events = parseEvents(result.stdout);
    const find = (type) => events.find((event) => event.type === type && event.taskIndex === 1);
    const fanOutStart = find('task-start');
    const firstItem = find('item-start');
    const fanOutEnd = find('task-end');
    const toolCallsOk = events.filter(
      (event) => event.type === 'tool-call-end' && event.status === 'ok',
    ).length;
    if (result.code !== 0 || fanOutEnd?.status !== 'succeeded' || toolCallsOk !== items) {
      throw new Error(
        `the run did not succeed (exit ${result.code ?? result.signal}, fan-out task ` +
          `${fanOutEnd?.status ?? 'missing'}, ${toolCallsOk}/${items} tool calls ok)\n` +
          result.stderr.trim().split('\n').slice(-20).join('\n'),
      );
    }
    const usage = JSON.parse(fs.readFileSync(usageFile, 'utf8'));
    const runnerCpuMs = usage.userMs + usage.systemMs;
    const allChildrenCpuMs =
      childrenBefore === undefined || childrenAfter === undefined
        ? undefined
        : childrenAfter - childrenBefore;
    return {
      wallMs: result.wallMs,
      fanOutMs: fanOutEnd.durationMs,
      toolboxStartMs: Date.parse(firstItem.timestamp) - Date.parse(fanOutStart.timestamp),
      itemsMs: Date.parse(fanOutEnd.timestamp) - Date.parse(firstItem.timestamp),
      runnerUserMs: usage.userMs,
      runnerSystemMs: usage.systemMs,
      runnerCpuMs,
      serversCpuMs:
        allChildrenCpuMs === undefined ? undefined : Math.max(0, allChildrenCpuMs - runnerCpuMs),
      fakeServerCpuMs: (serverCpu.user + serverCpu.system) / 1000,
      peakRssMb: usage.maxRssKb / 1024,
      requests: server.stats.requests,
      maxInFlight: server.stats.maxInFlight,
    };
  } finally {
    await server.close();
  }
}

/** Measures one shape `runs` times and prints its figures; whether every target held. */
async function measureShape({ items, limit, latencyMs, runs, targets }) {
  const idealMs = (items * TURNS_PER_ITEM * latencyMs) / limit;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-bench-fanout-'));
  const samples = [];
  try {
    for (let run = 0; run < runs; run++) {
      samples.push(await measureOnce({ items, limit, latencyMs, scratch }));
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }

  // The run with the median fan-out time is shown in full (noise on a shared machine is
  // large); the peak RSS is the highest of all runs.
  const byFanOut = [...samples].sort((a, b) => a.fanOutMs - b.fanOutMs);
  const median = byFanOut[Math.floor((byFanOut.length - 1) / 2)];
  const peakRssMb = Math.max(...samples.map((sample) => sample.peakRssMb));
  const cpuPerItemMs = median.runnerCpuMs / items;
  const ratio = (valueMs) => `${(valueMs / idealMs).toFixed(2)}x ideal`;
  const ms = (value) => (value === undefined ? 'n/a' : `${Math.round(value)} ms`);
  const rows = [
    ['items x turns / async_limit', `${items} x ${TURNS_PER_ITEM} / ${limit}`],
    ['model latency', `${latencyMs} ms`],
    ['model requests (max in flight)', `${median.requests} (${median.maxInFlight})`],
    ['ideal', ms(idealMs)],
    ['fan-out task, every run', byFanOut.map((sample) => ms(sample.fanOutMs)).join(', ')],
    ['median run:', ''],
    ['wall time, whole run', `${ms(median.wallMs)}  (${ratio(median.wallMs)})`],
    [
      'wall time, fan-out task',
      `${ms(median.fanOutMs)}  (${ratio(median.fanOutMs)}, toolbox start included)`,
    ],
    ['  toolbox start (to first item)', ms(median.toolboxStartMs)],
    ['  items (first start to task end)', `${ms(median.itemsMs)}  (${ratio(median.itemsMs)})`],
    [
      'runner CPU (user + sys)',
      `${ms(median.runnerCpuMs)}  (${ms(median.runnerUserMs)} + ${ms(median.runnerSystemMs)})`,
    ],
    ['runner CPU / items (start-up incl.)', `${cpuPerItemMs.toFixed(2)} ms`],
    ['MCP server + shell CPU', ms(median.serversCpuMs)],
    ['fake model server CPU', ms(median.fakeServerCpuMs)],
    ['runner peak RSS (max of runs)', `${peakRssMb.toFixed(1)} MB`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  console.log(`\n${items} items under async_limit ${limit}, ${runs} run(s):`);
  for (const [label, value] of rows) console.log(`${label.padEnd(width)}  ${value}`.trimEnd());

  // The whole run adds process start-up, the shell task and exit (bench/startup.mjs
  // measures start-up); the ideal describes the fan-out, so the target is judged there.
  const fanOutRatio = median.fanOutMs / idealMs;
  const shape = `${items}/${limit}`;
  const checks = [
    [
      `${shape} fan-out wall time <= ${targets.wallRatio}x ideal (median)`,
      fanOutRatio <= targets.wallRatio,
      `${fanOutRatio.toFixed(2)}x`,
    ],
    ...(targets.cpuPerItemMs === undefined
      ? []
      : [
          [
            `${shape} runner CPU <= ${targets.cpuPerItemMs} ms per item`,
            cpuPerItemMs <= targets.cpuPerItemMs,
            `${cpuPerItemMs.toFixed(2)} ms`,
          ],
        ]),
    [
      `${shape} peak RSS <= ${targets.peakRssMb} MB`,
      peakRssMb <= targets.peakRssMb,
      `${peakRssMb.toFixed(1)} MB`,
    ],
  ];
  return checks;
}

async function main() {
  const argv = process.argv.slice(2);
  const latencyMs = integerFlag('fanout', argv, 'latency', { fallback: 100 });
  const runs = integerFlag('fanout', argv, 'runs', { fallback: 3 });
  const chosen = argv.some((argument) => /^--(items|limit)(=|$)/.test(argument));
  const shapes = chosen
    ? [
        (() => {
          const items = integerFlag('fanout', argv, 'items', { fallback: 200 });
          const limit = integerFlag('fanout', argv, 'limit', { fallback: 20 });
          const known = SHAPES.find((shape) => shape.items === items && shape.limit === limit);
          return { items, limit, targets: (known ?? SHAPES[0]).targets };
        })(),
      ]
    : SHAPES;
  exitUnlessBuilt('fanout', REPO_ROOT);
  const load = machineLoad();
  console.log(`fanout: node ${process.version}, ${os.cpus().length} CPUs, ${load.text}`);
  const checks = [];
  try {
    for (const shape of shapes) checks.push(...(await measureShape({ ...shape, latencyMs, runs })));
  } catch (error) {
    console.error(`fanout: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
    return;
  }
  console.log('');
  for (const [label, ok, value] of checks) {
    console.log(`target ${label} — ${value} ${ok ? 'PASS' : 'FAIL'}`);
  }
  const failed = checks.some(([, ok]) => !ok);
  console.log(loadVerdict(load, failed));
  if (failed) process.exitCode = 1;
}

await main();
