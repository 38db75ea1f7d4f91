// Queue benchmark (issue 14, scale-out.md "Queue"): the built CLI as a coordinator
// (`taskflow run <flow> --queue redis://…`) and N `taskflow worker` processes, each in its
// own working and session folders as on separate machines, all on this machine, through a
// real redis-server (bench/fixtures/redis-server.mjs) started per run.
// Scenarios (the acceptance 5 and 4):
//   throughput    fake model server answering after 100 ms (bench/fixtures/fake-chat-server.mjs),
//                 no rate limit; 4 workers x --concurrency 10; 400 items x 2 turns (a call of
//                 the bundled echo MCP server, then the answer). Ideal = ceil(items / (workers
//                 x concurrency)) x turns x latency. Reports the fan-out task's wall time
//                 (its task-end durationMs in the coordinator's jsonl events) / ideal, and CPU
//                 per branch of the coordinator and of each worker (from /proc/<pid>/stat
//                 read at the fan-out's task-start and task-end events; whole process via a
//                 preloaded resourceUsage report), and the CPU all of this benchmark's
//                 processes used against what the target's wall time offers on this
//                 machine's CPUs (on few cores the target is out of reach above that).
//   fleet-pacing  3 workers x --concurrency 10 against bench/ratelimit's request-bucket
//                 server (burst 10, 20/s, OpenAI-style headers, 200 ms latency), 150 items
//                 under async_limit 30, one model request each. Reports 429s / requests and
//                 first-to-last admitted request against the bucket's ideal, computed as
//                 bench/ratelimit.mjs does: (admitted - burst) / rate.
// Both also report Redis commands per branch (INFO commandstats, commands run inside Lua
// scripts included) and how busy the machine was during each fan-out: this benchmark's
// processes and the others (/proc/stat); the closing verdict says the machine was loaded
// when other processes used more than 10 % of the CPUs during a fan-out.
// Each scenario runs --runs times (default 3); every run is printed and the targets are
// judged on the median.
// --profile DIR: the coordinator and the workers write V8 CPU profiles (.cpuprofile) under
// DIR/<scenario>-<id>/<process>/ (slower runs; for finding where the time goes).
// --workers, --concurrency and --items change those of every scenario run (the targets
// are meant for the defaults).
// Usage: node bench/queue.mjs [--scenario name[,name...]] [--runs R] [--profile DIR]
//          [--workers N] [--concurrency C] [--items N]
import { spawn } from 'node:child_process';
import console from 'node:console';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL, URL } from 'node:url';
import {
  exitUnlessBuilt,
  flagValue,
  integerFlag,
  selectedScenarios,
} from './fixtures/bench-args.mjs';
import { startFakeChatServer } from './fixtures/fake-chat-server.mjs';
import {
  fanOutTask,
  header,
  listTask,
  ONE_WORD_PERSONALITY,
  taskflow,
} from './fixtures/flow-yaml.mjs';
import { loadVerdict, machineLoad } from './fixtures/machine-load.mjs';
import { startRateLimitServer } from './fixtures/ratelimit-server.mjs';
import { redisCommandCounts, startRedisServer } from './fixtures/redis-server.mjs';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const FIXTURES = path.join(REPO_ROOT, 'bench', 'fixtures');
const CLI = path.join(REPO_ROOT, 'bin', 'taskflow.js');
const REPORT_USAGE = pathToFileURL(path.join(FIXTURES, 'report-usage.mjs')).href;
/** The coordinator is killed after this long (a run needs seconds). */
const RUN_TIMEOUT_MS = 300_000;
const WORKER_READY_TIMEOUT_MS = 30_000;
const WORKER_STOP_TIMEOUT_MS = 20_000;
/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat on Linux. */
const CLOCK_TICKS_PER_SECOND = 100;
/** `--profile DIR`: every CLI process writes a V8 CPU profile under DIR/<scenario>-<run>/<process>. */
let profileRoot;

const SCENARIOS = [
  {
    name: 'throughput',
    title:
      '1. throughput: 4 workers x concurrency 10, 400 items x 2 turns (echo tool, answer), 100 ms latency, no limit',
    workers: 4,
    concurrency: 10,
    items: 400,
    turns: 2,
    latencyMs: 100,
    targets: { wallRatio: 1.3 },
  },
  {
    name: 'fleet-pacing',
    title:
      '2. fleet pacing: 3 workers x concurrency 10, 150 items / async_limit 30, burst 10, 20/s, headers',
    workers: 3,
    concurrency: 10,
    items: 150,
    asyncLimit: 30,
    server: { latencyMs: 200, requests: { burst: 10, perSecond: 20 } },
    targets: { ratio: 1.2, rejectedShare: 0.03 },
  },
];

/** The throughput run's folder: bench/fanout's personality and model config. */
function writeThroughputWork(work, scenario) {
  fs.copyFileSync(path.join(FIXTURES, 'fanout-echoer.yaml'), path.join(work, 'echoer.yaml'));
  fs.copyFileSync(path.join(FIXTURES, 'fanout-models.yaml'), path.join(work, 'models.yaml'));
  const asyncLimit = scenario.workers * scenario.concurrency;
  fs.writeFileSync(
    path.join(work, 'flow.yaml'),
    taskflow('models.yaml', [
      listTask(scenario.items),
      fanOutTask({ agent: 'echoer.yaml', asyncLimit, prompt: 'Echo' }),
    ]),
  );
}

/** The fleet-pacing run's folder: bench/ratelimit's tool-less one-word personality. */
function writePacingWork(work, scenario) {
  fs.writeFileSync(path.join(work, 'agent.yaml'), ONE_WORD_PERSONALITY);
  fs.writeFileSync(
    path.join(work, 'models.yaml'),
    `${header('model_config')}models:
  main: bench-model
`,
  );
  fs.writeFileSync(
    path.join(work, 'flow.yaml'),
    taskflow('models.yaml', [
      listTask(scenario.items),
      fanOutTask({ agent: 'agent.yaml', asyncLimit: scenario.asyncLimit, prompt: 'Acknowledge' }),
    ]),
  );
}

/** A process's own CPU time so far (ms), from /proc/<pid>/stat; undefined when unreadable. */
function cpuMsOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat(5) (utime, stime) are at 11 and 12 after "(comm)".
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Pids of the children of `pid` (Linux), else none. */
function childrenOf(pid) {
  try {
    return fs
      .readdirSync(`/proc/${pid}/task`)
      .flatMap((task) =>
        fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/),
      )
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** CPU time (ms) of the processes under `pid`, not itself (a worker's MCP servers). */
function descendantsCpuMs(pid) {
  return childrenOf(pid).reduce(
    (sum, child) => sum + (cpuMsOf(child) ?? 0) + descendantsCpuMs(child),
    0,
  );
}

/** The whole machine's CPU time so far (ms): `{ busy, all }` from /proc/stat; undefined off Linux. */
function machineCpuMs() {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const all = ticks.reduce((sum, value) => sum + value, 0);
    // Fields 4 and 5 of the cpu line are idle and iowait.
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    const toMs = (value) => (value * 1000) / CLOCK_TICKS_PER_SECOND;
    return { busy: toMs(all - idle), all: toMs(all) };
  } catch {
    return undefined;
  }
}

/** The environment of one "machine": its own home, state and session folders. */
function hostEnv(root, endpoint, usageFile) {
  return {
    PATH: process.env.PATH,
    HOME: root,
    TMPDIR: os.tmpdir(),
    XDG_STATE_HOME: path.join(root, 'state'),
    XDG_DATA_HOME: path.join(root, 'data'),
    XDG_CONFIG_HOME: path.join(root, 'config'),
    TASKFLOW_SESSION_DIR: path.join(root, 'sessions'),
    AI_API_ENDPOINT: endpoint,
    AI_API_TOKEN: 'bench-token',
    CI: '1',
    NO_COLOR: '1',
    BENCH_USAGE_FILE: usageFile,
  };
}

/**
 * Spawns the CLI; `onLine` sees each stdout line as it arrives. `done` resolves with the
 * exit and the whole output.
 */
function startCli(args, { cwd, env, onLine, profile }) {
  const profiling = profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : [];
  const child = spawn(process.execPath, [...profiling, '--import', REPORT_USAGE, CLI, ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    stdout += chunk;
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine?.(line);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  const done = new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done, stdoutSoFar: () => stdout, stderrSoFar: () => stderr };
}

function isRunning(running) {
  return running.child.exitCode === null && running.child.signalCode === null;
}

async function startWorker(scenario, host, queueUrl, endpoint) {
  const running = startCli(
    [
      'worker',
      '--queue',
      queueUrl,
      '--session-dir',
      path.join(host.root, 'sessions'),
      '--concurrency',
      String(scenario.concurrency),
      '--lock-timeout',
      '30s',
    ],
    {
      cwd: host.work,
      env: hostEnv(host.root, endpoint, host.usageFile),
      profile: host.profile,
    },
  );
  const deadline = performance.now() + WORKER_READY_TIMEOUT_MS;
  while (!running.stdoutSoFar().includes('takes branches from')) {
    if (!isRunning(running) || performance.now() > deadline) {
      if (isRunning(running)) running.child.kill('SIGKILL');
      const { code, signal, stderr } = await running.done;
      throw new Error(`${host.name} did not start (exit ${code ?? signal}): ${stderr.trim()}`);
    }
    await delay(20);
  }
  return running;
}

/** SIGTERM as an operator would; a worker exits 0 (SIGKILL if it does not within a while). */
async function stopWorker(running) {
  if (isRunning(running)) running.child.kill('SIGTERM');
  const timer = setTimeout(() => running.child.kill('SIGKILL'), WORKER_STOP_TIMEOUT_MS);
  try {
    return await running.done;
  } finally {
    clearTimeout(timer);
  }
}

function readUsage(file) {
  try {
    const usage = JSON.parse(fs.readFileSync(file, 'utf8'));
    return usage.userMs + usage.systemMs;
  } catch {
    return undefined;
  }
}

/**
 * One run: redis-server, workers, then the coordinator to its end; the workers are stopped
 * after it. Returns what the run measured; throws when it did not succeed.
 */
async function runOnce(scenario, scratch, endpoint) {
  const directory = fs.mkdtempSync(path.join(scratch, `${scenario.name}-`));
  const profileOf = (name) => profileRoot && path.join(profileRoot, path.basename(directory), name);
  const coordinatorHost = { root: path.join(directory, 'coordinator') };
  const work = path.join(coordinatorHost.root, 'work');
  fs.mkdirSync(work, { recursive: true });
  if (scenario.name === 'throughput') writeThroughputWork(work, scenario);
  else writePacingWork(work, scenario);
  const hosts = Array.from({ length: scenario.workers }, (_, index) => {
    const root = path.join(directory, `worker-${index + 1}`);
    fs.cpSync(work, path.join(root, 'work'), { recursive: true });
    return {
      name: `worker ${index + 1}`,
      root,
      work: path.join(root, 'work'),
      usageFile: path.join(root, 'usage.json'),
      profile: profileOf(`worker-${index + 1}`),
    };
  });

  const redis = await startRedisServer();
  const workers = [];
  try {
    for (const host of hosts) workers.push(await startWorker(scenario, host, redis.url, endpoint));
    const commandsBefore = await redisCommandCounts(redis.url);

    const marks = {};
    let coordinatorPid = 0;
    const mark = (name) => {
      marks[name] = {
        coordinatorCpuMs: cpuMsOf(coordinatorPid),
        workersCpuMs: workers.map((worker) => cpuMsOf(worker.child.pid)),
        toolsCpuMs:
          descendantsCpuMs(coordinatorPid) +
          workers.reduce((sum, worker) => sum + descendantsCpuMs(worker.child.pid), 0),
        redisCpuMs: cpuMsOf(redis.pid),
        machine: machineCpuMs(),
        benchCpuMs: process.cpuUsage(),
      };
    };
    const coordinatorUsage = path.join(coordinatorHost.root, 'usage.json');
    const coordinator = startCli(['run', 'flow.yaml', '--queue', redis.url, '--output', 'jsonl'], {
      cwd: work,
      env: hostEnv(coordinatorHost.root, endpoint, coordinatorUsage),
      profile: profileOf('coordinator'),
      onLine: (line) => {
        // The fan-out is the second task (index 1); the CPU counters are read as its
        // start and end events arrive.
        if (!line.includes('"taskIndex":1')) return;
        if (line.includes('"type":"task-start"')) mark('start');
        else if (line.includes('"type":"task-end"')) mark('end');
      },
    });
    coordinatorPid = coordinator.child.pid;
    const timer = setTimeout(() => coordinator.child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    const result = await coordinator.done.finally(() => clearTimeout(timer));
    const commandsAfter = await redisCommandCounts(redis.url);
    const redisCommands = {};
    for (const [name, calls] of Object.entries(commandsAfter)) {
      const during = calls - (commandsBefore[name] ?? 0);
      // The two INFO calls themselves are not the run's.
      if (during > 0 && name !== 'info') redisCommands[name] = during;
    }
    const stopped = await Promise.all(workers.map((worker) => stopWorker(worker)));

    const events = result.stdout
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line));
    const find = (type) => events.find((event) => event.type === type && event.taskIndex === 1);
    const fanOutEnd = find('task-end');
    const firstItem = find('item-start');
    const branchesByWorker = stopped.map(
      (stop) => (stop.stdout.match(/: succeeded$/gm) ?? []).length,
    );
    const workerExits = stopped.map((stop) => stop.code ?? stop.signal);
    if (result.code !== 0 || fanOutEnd?.status !== 'succeeded') {
      const workerErrors = stopped
        .map((stop, index) => `--- worker ${index + 1}\n${stop.stderr.trim()}`)
        .join('\n');
      throw new Error(
        `the run did not succeed (exit ${result.code ?? result.signal}, fan-out task ` +
          `${fanOutEnd?.status ?? 'missing'})\n${result.stderr.trim()}\n${workerErrors}`,
      );
    }
    const span = (start, end) =>
      start === undefined || end === undefined ? undefined : end - start;
    return withShares({
      fanOutMs: fanOutEnd.durationMs,
      itemsMs: firstItem
        ? Date.parse(fanOutEnd.timestamp) - Date.parse(firstItem.timestamp)
        : undefined,
      coordinatorFanOutCpuMs: span(marks.start?.coordinatorCpuMs, marks.end?.coordinatorCpuMs),
      coordinatorTotalCpuMs: readUsage(coordinatorUsage),
      workersFanOutCpuMs: workers.map((_, index) =>
        span(marks.start?.workersCpuMs[index], marks.end?.workersCpuMs[index]),
      ),
      workersTotalCpuMs: hosts.map((host) => readUsage(host.usageFile)),
      redisFanOutCpuMs: span(marks.start?.redisCpuMs, marks.end?.redisCpuMs),
      redisCommands,
      machineBusyShare:
        marks.start?.machine && marks.end?.machine
          ? (marks.end.machine.busy - marks.start.machine.busy) /
            (marks.end.machine.all - marks.start.machine.all)
          : undefined,
      benchFanOutCpuMs:
        marks.start && marks.end
          ? (marks.end.benchCpuMs.user +
              marks.end.benchCpuMs.system -
              marks.start.benchCpuMs.user -
              marks.start.benchCpuMs.system) /
            1000
          : undefined,
      toolsFanOutCpuMs: span(marks.start?.toolsCpuMs, marks.end?.toolsCpuMs),
      machineFanOutMs: span(marks.start?.machine?.all, marks.end?.machine?.all),
      machineBusyFanOutMs: span(marks.start?.machine?.busy, marks.end?.machine?.busy),
      branchesByWorker,
      workerExits,
    });
  } finally {
    await Promise.all(
      workers.filter(isRunning).map((worker) => {
        worker.child.kill('SIGKILL');
        return worker.done;
      }),
    );
    await redis.stop();
  }
}

function median(values) {
  const sorted = values.filter((value) => value !== undefined).sort((a, b) => a - b);
  return sorted.length === 0 ? undefined : sorted[Math.floor((sorted.length - 1) / 2)];
}

function ms(value) {
  return value === undefined ? 'n/a' : `${Math.round(value)} ms`;
}

function perBranch(cpuMs, branches) {
  return cpuMs === undefined || branches === 0 ? 'n/a' : `${(cpuMs / branches).toFixed(2)} ms`;
}

/**
 * How busy the machine's CPUs were during the fan-out: all processes, and those of this
 * benchmark (coordinator, workers, their MCP servers, redis-server, the fake server).
 */
function machineShares(sample) {
  if (sample.othersShare === undefined) return 'n/a';
  return (
    `${percent(sample.machineBusyShare)} busy of ${os.cpus().length} CPUs; this benchmark's ` +
    `processes ${percent(sample.oursCpuMs / sample.machineFanOutMs)} (${ms(sample.oursCpuMs)}), ` +
    `others ${percent(sample.othersShare)}`
  );
}

/** Adds what the benchmark's processes and the others used of the machine during the fan-out. */
function withShares(sample) {
  if (sample.machineBusyShare === undefined || !sample.machineFanOutMs) return sample;
  const oursCpuMs =
    (sample.coordinatorFanOutCpuMs ?? 0) +
    sample.workersFanOutCpuMs.reduce((sum, value) => sum + (value ?? 0), 0) +
    (sample.toolsFanOutCpuMs ?? 0) +
    (sample.redisFanOutCpuMs ?? 0) +
    (sample.benchFanOutCpuMs ?? 0);
  const othersMs = Math.max(0, sample.machineBusyFanOutMs - oursCpuMs);
  return { ...sample, oursCpuMs, othersShare: othersMs / sample.machineFanOutMs };
}

/**
 * Whether the machine could run the fan-out at the target at all: the CPU this benchmark's
 * processes used during it, against what the target's wall time offers on this machine's
 * CPUs (all of them, all the time), and the CPU per branch that would fit.
 */
function cpuBudget(sample, idealMs, scenario) {
  if (sample.oursCpuMs === undefined) return 'n/a (no /proc)';
  const cpus = os.cpus().length;
  const budgetMs = idealMs * scenario.targets.wallRatio * cpus;
  const perBranchMs = (value) => `${(value / scenario.items).toFixed(1)} ms`;
  return (
    `used ${ms(sample.oursCpuMs)} (${perBranchMs(sample.oursCpuMs)} / branch, all processes); ` +
    `${scenario.targets.wallRatio}x ideal on ${cpus} CPUs holds ${ms(budgetMs)} ` +
    `(${perBranchMs(budgetMs)} / branch)`
  );
}

/** `total N (a x, b y, ...)` per branch, the most called first. */
function commandsPerBranch(commands, branches) {
  const entries = Object.entries(commands).sort((a, b) => b[1] - a[1]);
  const total = entries.reduce((sum, [, calls]) => sum + calls, 0);
  const each = (calls) => (calls / branches).toFixed(1);
  const top = entries.slice(0, 10).map(([name, calls]) => `${name} ${each(calls)}`);
  return `${each(total)}  (${top.join(', ')})`;
}

function percent(value) {
  return `${(value * 100).toFixed(1)} %`;
}

function printRows(rows) {
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, value] of rows) console.log(`  ${label.padEnd(width)}  ${value}`.trimEnd());
}

async function throughput(scenario, runs, scratch) {
  const slots = scenario.workers * scenario.concurrency;
  const idealMs = Math.ceil(scenario.items / slots) * scenario.turns * scenario.latencyMs;
  const samples = [];
  for (let run = 0; run < runs; run++) {
    const server = await startFakeChatServer({ latencyMs: scenario.latencyMs });
    try {
      const sample = await runOnce(scenario, scratch, server.url);
      samples.push({
        ...sample,
        requests: server.stats.requests,
        maxInFlight: server.stats.maxInFlight,
      });
    } finally {
      await server.close();
    }
  }
  const rows = [
    ['workers x concurrency', `${scenario.workers} x ${scenario.concurrency}`],
    ['items x turns, latency', `${scenario.items} x ${scenario.turns}, ${scenario.latencyMs} ms`],
    [
      'ideal',
      `${ms(idealMs)}  (ceil(${scenario.items} / ${slots}) x ${scenario.turns} x ${scenario.latencyMs} ms)`,
    ],
  ];
  samples.forEach((sample, index) => {
    const branches = scenario.items;
    const prefix = `run ${index + 1}: `;
    rows.push([
      `${prefix}fan-out task wall`,
      `${ms(sample.fanOutMs)}  (${(sample.fanOutMs / idealMs).toFixed(2)}x ideal; first item to end ${ms(sample.itemsMs)})`,
    ]);
    rows.push([
      `${prefix}model requests (max in flight)`,
      `${sample.requests} (${sample.maxInFlight})`,
    ]);
    rows.push([
      `${prefix}coordinator CPU / branch`,
      `${perBranch(sample.coordinatorFanOutCpuMs, branches)} during the fan-out ` +
        `(${ms(sample.coordinatorFanOutCpuMs)}); ${perBranch(sample.coordinatorTotalCpuMs, branches)} ` +
        `whole process (${ms(sample.coordinatorTotalCpuMs)}, start-up incl.)`,
    ]);
    sample.branchesByWorker.forEach((count, worker) => {
      rows.push([
        `${prefix}worker ${worker + 1} CPU / branch`,
        `${perBranch(sample.workersFanOutCpuMs[worker], count)} during the fan-out ` +
          `(${ms(sample.workersFanOutCpuMs[worker])} / ${count} branches); ` +
          `whole process ${ms(sample.workersTotalCpuMs[worker])}`,
      ]);
    });
    rows.push([`${prefix}redis-server CPU during the fan-out`, ms(sample.redisFanOutCpuMs)]);
    rows.push([`${prefix}fake model server CPU, fan-out`, ms(sample.benchFanOutCpuMs)]);
    rows.push([`${prefix}MCP servers CPU, fan-out`, ms(sample.toolsFanOutCpuMs)]);
    rows.push([`${prefix}machine CPU during the fan-out`, machineShares(sample)]);
    rows.push([`${prefix}CPU against the target`, cpuBudget(sample, idealMs, scenario)]);
    rows.push([
      `${prefix}Redis commands / branch`,
      commandsPerBranch(sample.redisCommands, branches),
    ]);
    rows.push([`${prefix}worker exits on SIGTERM`, sample.workerExits.join(', ')]);
  });
  console.log(`\n${scenario.title}`);
  printRows(rows);

  const ratio = median(samples.map((sample) => sample.fanOutMs)) / idealMs;
  const expectedRequests = scenario.items * scenario.turns;
  const checks = [
    [
      `fan-out wall time <= ${scenario.targets.wallRatio}x ideal (median)`,
      ratio <= scenario.targets.wallRatio,
      `${ratio.toFixed(2)}x`,
    ],
    [
      `every branch ran once (${scenario.items}), every request once (${expectedRequests})`,
      samples.every(
        (sample) =>
          sample.branchesByWorker.reduce((sum, count) => sum + count, 0) === scenario.items &&
          sample.requests === expectedRequests,
      ),
      samples
        .map(
          (sample) =>
            `${sample.branchesByWorker.reduce((sum, count) => sum + count, 0)}/${sample.requests}`,
        )
        .join(', '),
    ],
    [
      'workers exit 0 on SIGTERM',
      samples.every((sample) => sample.workerExits.every((code) => code === 0)),
      samples.map((sample) => sample.workerExits.join(' ')).join('; '),
    ],
  ];
  return { checks, samples };
}

/** Least time the request bucket allows between the first and the last admitted request. */
function bucketIdealMs(bucket, admitted) {
  return Math.max(0, ((admitted - bucket.burst) / bucket.perSecond) * 1000);
}

async function fleetPacing(scenario, runs, scratch) {
  const samples = [];
  for (let run = 0; run < runs; run++) {
    const server = await startRateLimitServer(scenario.server);
    try {
      const sample = await runOnce(scenario, scratch, server.url);
      const entries = server.log;
      const admitted = entries.filter((entry) => entry.status === 200);
      const rejected = entries.filter((entry) => entry.status === 429);
      const first = entries[0]?.at ?? 0;
      const spanMs = (admitted.at(-1)?.at ?? first) - first;
      const idealMs = bucketIdealMs(scenario.server.requests, admitted.length);
      samples.push({
        ...sample,
        requests: entries.length,
        admitted: admitted.length,
        rejected: rejected.length,
        rejectedShare: entries.length === 0 ? 0 : rejected.length / entries.length,
        spanMs,
        idealMs,
        ratio: idealMs > 0 ? spanMs / idealMs : undefined,
        maxInFlight: server.stats.maxInFlight,
      });
    } finally {
      await server.close();
    }
  }
  const rows = [
    ['workers x concurrency', `${scenario.workers} x ${scenario.concurrency}`],
    ['items / async_limit', `${scenario.items} / ${scenario.asyncLimit}`],
    [
      'bucket, latency',
      `burst ${scenario.server.requests.burst}, ${scenario.server.requests.perSecond}/s, ${scenario.server.latencyMs} ms`,
    ],
  ];
  samples.forEach((sample, index) => {
    const prefix = `run ${index + 1}: `;
    rows.push([
      `${prefix}requests (admitted / 429)`,
      `${sample.requests} (${sample.admitted} / ${sample.rejected}, ${percent(sample.rejectedShare)})`,
    ]);
    rows.push([
      `${prefix}first -> last admitted`,
      `${ms(sample.spanMs)} vs ideal ${ms(sample.idealMs)} (${sample.ratio?.toFixed(2) ?? 'n/a'}x)`,
    ]);
    rows.push([`${prefix}fan-out task wall`, ms(sample.fanOutMs)]);
    rows.push([`${prefix}branches per worker`, sample.branchesByWorker.join(', ')]);
    rows.push([`${prefix}max in flight at the server`, String(sample.maxInFlight)]);
    rows.push([`${prefix}machine CPU during the fan-out`, machineShares(sample)]);
    rows.push([
      `${prefix}Redis commands / branch`,
      commandsPerBranch(sample.redisCommands, scenario.items),
    ]);
  });
  console.log(`\n${scenario.title}`);
  printRows(rows);

  const ratio = median(samples.map((sample) => sample.ratio));
  const rejectedShare = median(samples.map((sample) => sample.rejectedShare));
  const checks = [
    [
      `429s <= ${percent(scenario.targets.rejectedShare)} (median)`,
      rejectedShare <= scenario.targets.rejectedShare,
      percent(rejectedShare),
    ],
    [
      `first-to-last <= ${scenario.targets.ratio}x ideal (median)`,
      ratio !== undefined && ratio <= scenario.targets.ratio,
      `${ratio?.toFixed(2) ?? 'n/a'}x`,
    ],
    [
      `every branch ran once (${scenario.items} admitted)`,
      samples.every(
        (sample) =>
          sample.admitted === scenario.items &&
          sample.branchesByWorker.reduce((sum, count) => sum + count, 0) === scenario.items,
      ),
      samples.map((sample) => String(sample.admitted)).join(', '),
    ],
  ];
  return { checks, samples };
}

/** Other processes above this share of the CPUs during a fan-out make the machine loaded. */
const OTHERS_LOADED_SHARE = 0.1;

/**
 * The machine's state for the verdict: measured during the fan-outs (what other processes
 * used of the CPUs) where /proc/stat tells, else the load average read at the start.
 */
function duringRuns(load, othersShares) {
  const measured = othersShares.filter((share) => share !== undefined);
  if (measured.length === 0) return load;
  const most = Math.max(...measured);
  return {
    loaded: most > OTHERS_LOADED_SHARE,
    text: `other processes used at most ${percent(most)} of the CPUs during the fan-outs; ${load.text} at the start`,
  };
}

async function main() {
  const argv = process.argv.slice(2);
  const chosen = selectedScenarios('queue', argv, SCENARIOS);
  const runs = integerFlag('queue', argv, 'runs', { fallback: 3 });
  exitUnlessBuilt('queue', REPO_ROOT);
  const profileText = flagValue(argv, 'profile');
  if (profileText !== undefined) profileRoot = path.resolve(profileText);
  const load = machineLoad();
  console.log(`queue: ${runs} run(s) per scenario, node ${process.version}, ${load.text}`);
  const overrides = {};
  for (const name of ['workers', 'concurrency', 'items']) {
    const value = integerFlag('queue', argv, name);
    if (value !== undefined) overrides[name] = value;
  }
  const selected = chosen.map((item) => ({ ...item, ...overrides }));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-bench-queue-'));
  let failed = false;
  const othersShares = [];
  try {
    for (const scenario of selected) {
      let checks;
      try {
        const measured =
          scenario.name === 'throughput'
            ? await throughput(scenario, runs, scratch)
            : await fleetPacing(scenario, runs, scratch);
        checks = measured.checks;
        for (const sample of measured.samples) othersShares.push(sample.othersShare);
      } catch (error) {
        console.log(`\n${scenario.title}`);
        checks = [
          ['the runs succeeded', false, error instanceof Error ? error.message : String(error)],
        ];
      }
      for (const [label, ok, value] of checks) {
        console.log(`  target ${label} — ${value} ${ok ? 'PASS' : 'FAIL'}`);
      }
      failed = failed || checks.some(([, ok]) => !ok);
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  console.log(`\n${loadVerdict(duringRuns(load, othersShares), failed)}`);
  if (failed) process.exitCode = 1;
}

await main();
