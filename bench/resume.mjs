// Resume benchmark (quality.md "Benchmarks": resume): a repeat_prompt taskflow of N items,
// each one echo tool call (the bundled echo server) and an answer, i.e. 2 model requests per
// item, is stopped at item k (0-based: items 0..k-1 finished) and then resumed with
// `taskflow resume`. Two ways to stop: the fake server answers item k with a non-retryable
// 400 (the must_complete task fails, exit 1), or the CLI is SIGKILLed while item k's request
// is in flight. The resume must send exactly the unfinished items' worth of requests,
// 2 x (N - k), not 2 x N; the table compares both, with PASS/FAIL.
// Usage: node bench/resume.mjs [--items N] [--fail-at K]
import { spawn } from 'node:child_process';
import console from 'node:console';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath, URL } from 'node:url';
import { integerFlag } from './fixtures/bench-args.mjs';
import { header, listTask } from './fixtures/flow-yaml.mjs';
import { startResumeChatServer } from './fixtures/resume-chat-server.mjs';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const CLI = path.join(REPO_ROOT, 'bin', 'taskflow.js');
const TURNS_PER_ITEM = 2;

function writeFlow(folder, items) {
  fs.writeFileSync(
    path.join(folder, 'echoer.yaml'),
    `${header('personality')}personality: You repeat messages with the echo tool.\n` +
      `task: Echo what you are asked to echo, then report what the tool returned.\n` +
      `toolboxes:\n  - seclab_taskflow_agent.toolboxes.echo\n`,
  );
  fs.writeFileSync(
    path.join(folder, 'flow.yaml'),
    `${header('taskflow')}taskflow:
${listTask(items)}  - task:
      name: echo each
      must_complete: true
      agents: [echoer.yaml]
      repeat_prompt: true
      user_prompt: "Echo item-{{ result }}"
`,
  );
}

function startCli(args, { cwd, env }) {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  const done = new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) =>
      resolve({ code, signal, stdout, stderr, wallMs: performance.now() - started }),
    );
  });
  return { child, done };
}

function journalLines(sessionsDir) {
  const [id] = fs.existsSync(sessionsDir) ? fs.readdirSync(sessionsDir) : [];
  if (id === undefined) return { id: undefined, lines: [] };
  const file = path.join(sessionsDir, id, 'journal.jsonl');
  if (!fs.existsSync(file)) return { id, lines: [] };
  const lines = fs.readFileSync(file, 'utf8').split('\n').slice(0, -1);
  return { id, lines: lines.map((line) => JSON.parse(line)) };
}

/** One scenario in a fresh scratch folder: stop at item k, resume, count requests. */
async function scenario(mode, { items, failAt }) {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-bench-resume-'));
  let phase = 'first';
  let running;
  const server = await startResumeChatServer({
    fault: (item, hasToolResult) => {
      if (phase !== 'first' || item !== failAt || hasToolResult) return undefined;
      if (mode === 'sigkill') return 'stall';
      return {
        status: 400,
        body: {
          error: {
            message: `bench: item-${failAt} rejected`,
            type: 'invalid_request_error',
            param: null,
            code: null,
          },
        },
      };
    },
  });
  try {
    writeFlow(scratch, items);
    const sessionsDir = path.join(scratch, 'sessions');
    const env = {
      PATH: process.env.PATH,
      HOME: scratch,
      TMPDIR: os.tmpdir(),
      XDG_STATE_HOME: path.join(scratch, 'state'),
      XDG_DATA_HOME: path.join(scratch, 'data'),
      XDG_CONFIG_HOME: path.join(scratch, 'config'),
      TASKFLOW_SESSION_DIR: sessionsDir,
      AI_API_ENDPOINT: server.url,
      AI_API_TOKEN: 'bench-token',
      TASKFLOW_DEFAULT_MODEL: 'bench-model',
      CI: '1',
      NO_COLOR: '1',
    };
    let parked = false;
    server.onRequest = (entry) => {
      if (phase === 'first' && entry.item === failAt && entry.turn === 1) parked = true;
    };
    running = startCli(['run', 'flow.yaml', '--output', 'plain'], { cwd: scratch, env });
    if (mode === 'sigkill') {
      const itemEnds = () =>
        journalLines(sessionsDir).lines.filter((line) => line.type === 'item-end').length;
      const deadline = performance.now() + 60_000;
      while (!(parked && itemEnds() === failAt)) {
        if (performance.now() > deadline) throw new Error('item k was never reached');
        await delay(10);
      }
      running.child.kill('SIGKILL');
    }
    const first = await running.done;
    running = undefined;
    const firstRequests = server.requests.length;
    const { id } = journalLines(sessionsDir);
    if (id === undefined) throw new Error(`no session was created\n${first.stderr}`);

    phase = 'resume';
    const resumed = await startCli(['resume', id, '--output', 'plain'], { cwd: scratch, env }).done;
    const resumeRequests = server.requests.slice(firstRequests);
    const end = journalLines(sessionsDir)
      .lines.filter((line) => line.type === 'task-end' && line.task === 1)
      .at(-1);
    const values = Array.isArray(end?.result?.value) ? end.result.value : [];
    const complete =
      resumed.code === 0 &&
      end?.status === 'succeeded' &&
      values.length === items &&
      values.every((value) => value !== null);
    const resumedItems = new Set(resumeRequests.map((entry) => entry.item));
    return {
      mode,
      firstExit: first.code ?? first.signal,
      firstRequests,
      resumeExit: resumed.code ?? resumed.signal,
      resumeRequests: resumeRequests.length,
      resumedFrom: Math.min(...resumedItems),
      expected: (items - failAt) * TURNS_PER_ITEM,
      fromScratch: items * TURNS_PER_ITEM,
      resumeWallMs: resumed.wallMs,
      complete,
      detail: complete ? '' : `${resumed.stderr.trim().split('\n').slice(-5).join('\n')}`,
    };
  } finally {
    running?.child.kill('SIGKILL');
    await server.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

async function main() {
  const argv = process.argv.slice(2);
  const items = integerFlag('resume', argv, 'items', { fallback: 50, min: 0 });
  const failAt = integerFlag('resume', argv, 'fail-at', { fallback: 30, min: 0 });
  if (items < 1 || failAt >= items) {
    console.error(`resume: need 0 <= --fail-at < --items, got ${failAt} and ${items}`);
    process.exit(2);
  }
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'cli', 'main.js'))) {
    console.error('resume: dist/ is missing; run "npm run build" first (npm run bench does)');
    process.exit(2);
  }
  const results = [];
  try {
    for (const mode of ['http-400', 'sigkill'])
      results.push(await scenario(mode, { items, failAt }));
  } catch (error) {
    console.error(`resume: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
    return;
  }

  console.log(
    `resume: N=${items} items x ${TURNS_PER_ITEM} requests (tool call + answer), stopped at item k=${failAt} (0-based), node ${process.version}`,
  );
  const header = [
    'stop',
    'run exit',
    'run requests',
    'resume exit',
    'resume requests',
    '(N-k) x 2',
    'N x 2',
    'resume wall',
    'result',
  ];
  const rows = results.map((result) => {
    const pass = result.complete && result.resumeRequests === result.expected;
    return [
      result.mode,
      String(result.firstExit),
      String(result.firstRequests),
      String(result.resumeExit),
      String(result.resumeRequests),
      String(result.expected),
      String(result.fromScratch),
      `${Math.round(result.resumeWallMs)} ms`,
      pass ? 'PASS' : 'FAIL',
    ];
  });
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length)),
  );
  for (const row of [header, ...rows]) {
    console.log(
      row
        .map((cell, column) => cell.padEnd(widths[column]))
        .join('  ')
        .trimEnd(),
    );
  }
  for (const result of results) {
    const ratio = (result.resumeRequests / result.fromScratch).toFixed(2);
    console.log(
      `${result.mode}: resume sent ${result.resumeRequests} requests = ${ratio} of a from-scratch run, ` +
        `starting at item ${result.resumedFrom}${result.complete ? '' : `; run incomplete:\n${result.detail}`}`,
    );
  }
  if (rows.some((row) => row.at(-1) !== 'PASS')) process.exitCode = 1;
}

await main();
