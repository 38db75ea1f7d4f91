// Rate-limit benchmark (issue 12, scale-out.md "Pacing"): the built CLI runs repeat_prompt
// fan-outs against a provider-like server (bench/fixtures/ratelimit-server.mjs) whose token
// buckets refuse with 429 what exceeds them. For each scenario it prints the wall time from
// the first request to the last admitted one against the limit's ideal (the least time the
// buckets allow for the admitted requests), and the share of requests refused with 429.
// Scenarios (the acceptance 1-5):
//   request-bucket   burst 10, 20 requests/s, OpenAI-style headers, no Retry-After
//   token-bucket     3000-token burst, 2000 tokens/s (tokens bind, not requests)
//   declared         no headers at all; requests_per_minute declared in the model config
//   concurrency      429 above 4 requests in flight, no rate limit
//   shared-budget    two tasks and a 2-model task on one endpoint, budgets per model
// Usage: node bench/ratelimit.mjs [--scenario name[,name...]] [--items N]
import { spawn } from 'node:child_process';
import console from 'node:console';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath, URL } from 'node:url';
import { exitUnlessBuilt, integerFlag, selectedScenarios } from './fixtures/bench-args.mjs';
import {
  fanOutTask,
  header,
  listTask,
  ONE_WORD_PERSONALITY,
  taskflow,
} from './fixtures/flow-yaml.mjs';
import { startRateLimitServer } from './fixtures/ratelimit-server.mjs';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const CLI = path.join(REPO_ROOT, 'bin', 'taskflow.js');
/** A scenario's CLI run is killed after this long (a paced run needs well under a minute). */
const RUN_TIMEOUT_MS = 300_000;
const BUCKET = { burst: 10, perSecond: 20 };

const SCENARIOS = [
  {
    name: 'request-bucket',
    title: '1. request bucket: burst 10, 20/s, headers, no Retry-After',
    server: { latencyMs: 200, requests: BUCKET },
    items: 150,
    asyncLimit: 30,
    targets: { ratio: 1.1, rejectedShare: 0.02 },
  },
  {
    name: 'token-bucket',
    title:
      '2. token bucket: burst 3000, 2000 tokens/s (requests: burst 100, 100/s); max_tokens 100',
    server: {
      latencyMs: 200,
      requests: { burst: 100, perSecond: 100 },
      tokens: { burst: 3000, perSecond: 2000 },
    },
    items: 150,
    asyncLimit: 30,
    settings: { max_tokens: 100 },
    targets: { ratio: 1.15, rejectedShare: 0.02 },
  },
  {
    name: 'declared',
    title: '3. no headers; rate_limits.requests_per_minute 1200 declared (server: burst 10, 20/s)',
    server: { latencyMs: 200, requests: BUCKET, headers: false },
    items: 150,
    asyncLimit: 30,
    settings: { rate_limits: { requests_per_minute: 1200 } },
    targets: { ratio: 1.1, rejected: 0 },
  },
  {
    name: 'concurrency',
    title: '4. 429 above 4 in flight, no rate limit, latency 300 ms',
    server: { latencyMs: 300, maxInFlight: 4 },
    items: 150,
    asyncLimit: 30,
    targets: { convergeMs: 3000, ratioAfter: 1.15 },
  },
  {
    name: 'shared-budget',
    title:
      '5. tasks on main, on alias (same model id), then models [main, other]; burst 10, 20/s per model',
    server: { latencyMs: 200, requests: BUCKET },
    items: 40,
    asyncLimit: 30,
    shared: true,
    // Issue 12 acceptance 5: never over the limit, as the server judges it.
    targets: { rejected: 0 },
  },
];

function yamlValue(value) {
  return JSON.stringify(value);
}

function modelConfigYaml(settings) {
  const lines = [
    `${header('model_config')}models:`,
    '  main: bench-model',
    '  alias: bench-model',
    '  other: bench-model-b',
  ];
  if (settings) {
    lines.push('model_settings:');
    for (const name of ['main', 'alias', 'other']) {
      lines.push(`  ${name}:`);
      for (const [key, value] of Object.entries(settings)) {
        lines.push(`    ${key}: ${yamlValue(value)}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The fan-out task of one scenario (`model` is its model line). */
function acknowledgeTask(name, model, asyncLimit) {
  return fanOutTask({
    name,
    agent: 'ratelimit-agent.yaml',
    model,
    asyncLimit,
    prompt: 'Acknowledge',
  });
}

function taskflowYaml(scenario, items) {
  if (!scenario.shared) {
    return taskflow('ratelimit-models.yaml', [
      listTask(items),
      acknowledgeTask('fan out', 'model: main', scenario.asyncLimit),
    ]);
  }
  const half = Math.max(1, Math.floor(items / 2));
  return taskflow('ratelimit-models.yaml', [
    listTask(items),
    acknowledgeTask('first on main', 'model: main', scenario.asyncLimit),
    listTask(items),
    acknowledgeTask('then on alias', 'model: alias', scenario.asyncLimit),
    listTask(half),
    acknowledgeTask('both models', 'models: [main, other]', scenario.asyncLimit),
  ]);
}

function runCli(args, { cwd, env }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function countEvents(stdout, type) {
  let count = 0;
  for (const line of stdout.split('\n')) {
    if (line.includes(`"type":"${type}"`)) count += 1;
  }
  return count;
}

/** Least time the buckets allow between the first and the last of `admitted` requests. */
function bucketIdealMs(server, admitted) {
  const spans = [];
  if (server.requests) {
    spans.push(((admitted.length - server.requests.burst) / server.requests.perSecond) * 1000);
  }
  if (server.tokens) {
    const tokens = admitted.reduce((sum, entry) => sum + entry.tokens, 0);
    spans.push(((tokens - server.tokens.burst) / server.tokens.perSecond) * 1000);
  }
  return Math.max(0, ...spans);
}

function share(part, whole) {
  return whole === 0 ? 0 : part / whole;
}

function percent(value) {
  return `${(value * 100).toFixed(1)} %`;
}

function ms(value) {
  return `${Math.round(value)} ms`;
}

/** Figures of one model's requests: span, ideal, 429s. */
function figures(server, entries) {
  const admitted = entries.filter((entry) => entry.status === 200);
  const rejected = entries.filter((entry) => entry.status === 429);
  const first = entries[0]?.at ?? 0;
  const lastAdmitted = admitted.at(-1)?.at ?? first;
  const spanMs = lastAdmitted - first;
  const idealMs = bucketIdealMs(server, admitted);
  return {
    requests: entries.length,
    admitted: admitted.length,
    rejected: rejected.length,
    rejectedShare: share(rejected.length, entries.length),
    spanMs,
    idealMs,
    ratio: idealMs > 0 ? spanMs / idealMs : undefined,
  };
}

/** Scenario 4: convergence (time of the last 429) and throughput after it. */
function concurrencyFigures(server, entries) {
  const limit = server.maxInFlight;
  const first = entries[0]?.at ?? 0;
  const lastRejectAt = entries.filter((entry) => entry.status === 429).at(-1)?.at ?? first;
  const admitted = entries.filter((entry) => entry.status === 200);
  const after = admitted.filter((entry) => entry.at > lastRejectAt);
  const lastAdmitted = admitted.at(-1)?.at ?? first;
  const afterIdealMs = Math.max(0, (after.length / limit - 1) * server.latencyMs);
  const wholeIdealMs = Math.max(0, (admitted.length / limit - 1) * server.latencyMs);
  return {
    convergeMs: lastRejectAt - first,
    afterMs: lastAdmitted - lastRejectAt,
    afterIdealMs,
    ratioAfter: afterIdealMs > 0 ? (lastAdmitted - lastRejectAt) / afterIdealMs : undefined,
    wholeRatio: wholeIdealMs > 0 ? (lastAdmitted - first) / wholeIdealMs : undefined,
  };
}

async function runScenario(scenario, items, scratch) {
  const directory = fs.mkdtempSync(path.join(scratch, `${scenario.name}-`));
  fs.writeFileSync(path.join(directory, 'ratelimit-agent.yaml'), ONE_WORD_PERSONALITY);
  fs.writeFileSync(
    path.join(directory, 'ratelimit-models.yaml'),
    modelConfigYaml(scenario.settings),
  );
  const flow = path.join(directory, 'flow.yaml');
  fs.writeFileSync(flow, taskflowYaml(scenario, items));
  const server = await startRateLimitServer(scenario.server);
  try {
    const env = {
      PATH: process.env.PATH,
      HOME: directory,
      TMPDIR: os.tmpdir(),
      XDG_STATE_HOME: path.join(directory, 'state'),
      XDG_DATA_HOME: path.join(directory, 'data'),
      XDG_CONFIG_HOME: path.join(directory, 'config'),
      TASKFLOW_SESSION_DIR: path.join(directory, 'sessions'),
      AI_API_ENDPOINT: server.url,
      AI_API_TOKEN: 'bench-token',
      CI: '1',
      NO_COLOR: '1',
    };
    const result = await runCli([CLI, 'run', flow, '--output', 'jsonl'], { cwd: directory, env });
    return {
      items,
      exit: result.code ?? result.signal,
      stderrTail: result.stderr.trim().split('\n').slice(-3).join('\n'),
      retries: countEvents(result.stdout, 'model-retry'),
      log: server.log,
      maxInFlight: server.stats.maxInFlight,
    };
  } finally {
    await server.close();
  }
}

function report(scenario, run) {
  const rows = [];
  const checks = [];
  rows.push(['items / async_limit', `${run.items} / ${scenario.asyncLimit}`]);
  rows.push(['CLI exit (model-retry events)', `${run.exit} (${run.retries})`]);
  if (run.exit !== 0 && run.stderrTail) rows.push(['CLI stderr (last lines)', run.stderrTail]);
  const byModel = new Map();
  for (const entry of run.log) {
    if (!byModel.has(entry.model)) byModel.set(entry.model, []);
    byModel.get(entry.model).push(entry);
  }
  for (const [model, entries] of byModel) {
    const figure = figures(scenario.server, entries);
    const prefix = byModel.size > 1 ? `${model}: ` : '';
    rows.push([
      `${prefix}requests (admitted / 429)`,
      `${figure.requests} (${figure.admitted} / ${figure.rejected}, ${percent(figure.rejectedShare)})`,
    ]);
    if (scenario.server.maxInFlight === undefined) {
      const ratio = figure.ratio === undefined ? 'n/a' : `${figure.ratio.toFixed(2)}x`;
      rows.push([
        `${prefix}first -> last admitted`,
        `${ms(figure.spanMs)} vs ideal ${ms(figure.idealMs)} (${ratio})`,
      ]);
    }
    const { targets } = scenario;
    if (targets.ratio !== undefined) {
      const ok = figure.ratio !== undefined && figure.ratio <= targets.ratio;
      checks.push([
        `${prefix}first-to-last <= ${targets.ratio}x ideal`,
        ok,
        `${figure.ratio?.toFixed(2)}x`,
      ]);
    }
    if (targets.rejectedShare !== undefined) {
      const ok = figure.rejectedShare <= targets.rejectedShare;
      checks.push([
        `${prefix}429s <= ${percent(targets.rejectedShare)}`,
        ok,
        percent(figure.rejectedShare),
      ]);
    }
    if (targets.rejected !== undefined) {
      checks.push([
        `${prefix}429s = ${targets.rejected}`,
        figure.rejected === targets.rejected,
        String(figure.rejected),
      ]);
    }
    if (scenario.server.maxInFlight !== undefined) {
      const convergence = concurrencyFigures(scenario.server, entries);
      rows.push(['last 429 after first request', ms(convergence.convergeMs)]);
      rows.push([
        'after it: last admitted',
        `${ms(convergence.afterMs)} vs ideal ${ms(convergence.afterIdealMs)} (${convergence.ratioAfter?.toFixed(2) ?? 'n/a'}x)`,
      ]);
      rows.push([
        'whole run vs in-flight ideal',
        `${convergence.wholeRatio?.toFixed(2) ?? 'n/a'}x`,
      ]);
      rows.push(['max in flight at the server', String(run.maxInFlight)]);
      checks.push([
        `converged (last 429) within ${targets.convergeMs} ms`,
        convergence.convergeMs <= targets.convergeMs,
        ms(convergence.convergeMs),
      ]);
      const ok =
        convergence.ratioAfter !== undefined && convergence.ratioAfter <= targets.ratioAfter;
      checks.push([
        `after convergence <= ${targets.ratioAfter}x ideal`,
        ok,
        `${convergence.ratioAfter?.toFixed(2) ?? 'n/a'}x`,
      ]);
    }
  }
  checks.push(['the run succeeded (exit 0)', run.exit === 0, String(run.exit)]);
  console.log(`\n${scenario.title}`);
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, value] of rows) console.log(`  ${label.padEnd(width)}  ${value}`);
  for (const [label, ok, value] of checks) {
    console.log(`  target ${label} — ${value} ${ok ? 'PASS' : 'FAIL'}`);
  }
  return checks.every(([, ok]) => ok);
}

async function main() {
  const argv = process.argv.slice(2);
  const selected = selectedScenarios('ratelimit', argv, SCENARIOS);
  const items = integerFlag('ratelimit', argv, 'items', { min: 2 });
  exitUnlessBuilt('ratelimit', REPO_ROOT);
  const load = os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
  console.log(`ratelimit: node ${process.version}, ${os.cpus().length} CPUs, load average ${load}`);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-bench-ratelimit-'));
  let allPassed = true;
  try {
    for (const scenario of selected) {
      const run = await runScenario(scenario, items ?? scenario.items, scratch);
      allPassed = report(scenario, run) && allPassed;
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  if (!allPassed) process.exitCode = 1;
}

await main();
