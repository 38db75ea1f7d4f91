// Retry-wait benchmark (resilience.md "Waits"): the built CLI against a scripted server that
// answers 429 with `retry-after-ms` 300, 600, 900, then 200. For each 429 it compares the
// server's hint with the gap the server measured (its 429 finished -> the next request
// arrived) and with the delay the CLI announced in its `model-retry` event. A gap passes
// when hint <= gap <= hint + min(1 s, 10 % of the hint) + scheduling slack.
// Usage: node bench/retry.mjs [--runs N]   (series to run, default 3)
import { spawn } from 'node:child_process';
import console from 'node:console';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const CLI = path.join(REPO_ROOT, 'bin/taskflow.js');
const HINTS_MS = [300, 600, 900];
/** Time the client may spend between receiving a 429 and its next request arriving. */
const SLACK_MS = 100;

function parseRuns(argv) {
  const index = argv.indexOf('--runs');
  const inline = argv.find((argument) => argument.startsWith('--runs='));
  const text = inline ? inline.slice('--runs='.length) : index === -1 ? '3' : argv[index + 1];
  const runs = Number(text);
  if (!Number.isInteger(runs) || runs < 1) {
    console.error(`retry: --runs needs a positive integer, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return runs;
}

/** A chat completions server playing 429s with the given hints, then one streamed answer. */
async function startScriptedServer(hintsMs) {
  const log = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const entry = { arrivedAt: performance.now(), respondedAt: undefined };
      const index = log.length;
      log.push(entry);
      response.once('finish', () => (entry.respondedAt = performance.now()));
      const hint = hintsMs[index];
      if (hint !== undefined) {
        const payload = JSON.stringify({
          error: { message: 'Rate limit reached', type: 'rate_limit_error', code: null },
        });
        response.writeHead(429, {
          'content-type': 'application/json',
          'retry-after-ms': String(hint),
        });
        response.end(payload);
        return;
      }
      answer(JSON.parse(body), response);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/v1`,
    log,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function answer(parsed, response) {
  const base = {
    id: 'chatcmpl-bench',
    created: Math.floor(Date.now() / 1000),
    model: parsed.model ?? 'bench-model',
  };
  const usage = { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 };
  if (parsed.stream !== true) {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        ...base,
        object: 'chat.completion',
        choices: [
          { index: 0, message: { role: 'assistant', content: 'done' }, finish_reason: 'stop' },
        ],
        usage,
      }),
    );
    return;
  }
  const chunk = (choices, extra = {}) =>
    `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices, ...extra })}\n\n`;
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  response.write(chunk([{ index: 0, delta: { role: 'assistant', content: 'done' } }]));
  response.write(chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]));
  response.write(chunk([], { usage }));
  response.end('data: [DONE]\n\n');
}

function runCli(args, options) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A scratch folder with a one-task flow and private state/session directories. */
function makeSandbox() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-bench-retry-'));
  fs.writeFileSync(
    path.join(dir, 'flow.yaml'),
    [
      'seclab-taskflow-agent:',
      '  version: "1.0"',
      '  filetype: taskflow',
      'taskflow:',
      '  - task:',
      '      name: ask',
      '      agents: [taskflow.personalities.assistant]',
      '      user_prompt: Say done',
      '',
    ].join('\n'),
  );
  return dir;
}

function childEnvironment(sandbox, url) {
  return {
    PATH: process.env.PATH,
    HOME: sandbox,
    TMPDIR: os.tmpdir(),
    XDG_STATE_HOME: path.join(sandbox, 'state'),
    XDG_DATA_HOME: path.join(sandbox, 'data'),
    XDG_CONFIG_HOME: path.join(sandbox, 'config'),
    TASKFLOW_SESSION_DIR: path.join(sandbox, 'sessions'),
    NO_COLOR: '1',
    CI: '1',
    AI_API_ENDPOINT: url,
    AI_API_TOKEN: 'bench-token',
    TASKFLOW_DEFAULT_MODEL: 'bench-model',
  };
}

/** One series: returns a row per 429 (hint, announced delay, measured gap). */
async function runSeries(sandbox) {
  const server = await startScriptedServer(HINTS_MS);
  try {
    const result = await runCli(['run', 'flow.yaml', '--output', 'jsonl'], {
      cwd: sandbox,
      env: childEnvironment(sandbox, server.url),
    });
    if (result.code !== 0) throw new Error(`taskflow exited ${result.code}: ${result.stderr}`);
    const retries = result.stdout
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line))
      .filter((event) => event.type === 'model-retry');
    if (server.log.length !== HINTS_MS.length + 1 || retries.length !== HINTS_MS.length) {
      throw new Error(
        `expected ${HINTS_MS.length + 1} requests and ${HINTS_MS.length} retries, got ${server.log.length} and ${retries.length}`,
      );
    }
    return HINTS_MS.map((hintMs, index) => ({
      hintMs,
      source: retries[index].delaySource,
      announcedMs: retries[index].delayMs,
      gapMs: server.log[index + 1].arrivedAt - server.log[index].respondedAt,
    }));
  } finally {
    await server.close();
  }
}

function verdict(row) {
  const maxMs = row.hintMs + Math.min(1000, row.hintMs * 0.1) + SLACK_MS;
  return row.gapMs >= row.hintMs && row.gapMs <= maxMs && row.source === 'retry-after-ms';
}

async function main() {
  const runs = parseRuns(process.argv.slice(2));
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'cli', 'main.js'))) {
    console.error('retry: dist/ is missing; run "npm run build" first (npm run bench does)');
    process.exit(2);
  }
  const sandbox = makeSandbox();
  const rows = [];
  try {
    for (let run = 1; run <= runs; run++) {
      for (const row of await runSeries(sandbox)) rows.push({ run, ...row });
    }
  } finally {
    fs.rmSync(sandbox, { recursive: true, force: true });
  }
  console.log(
    `429 retry-after-ms ${HINTS_MS.join(', ')} then 200; gap = 429 sent -> next request received`,
  );
  console.log(`pass: hint <= gap <= hint + min(1 s, 10 %) + ${SLACK_MS} ms slack\n`);
  const header = ['run', 'hint ms', 'announced ms', 'gap ms', 'gap - hint', 'gap - announced', ''];
  const table = rows.map((row) => [
    String(row.run),
    String(row.hintMs),
    String(row.announcedMs),
    row.gapMs.toFixed(1),
    (row.gapMs - row.hintMs).toFixed(1),
    (row.gapMs - row.announcedMs).toFixed(1),
    verdict(row) ? 'PASS' : 'FAIL',
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...table.map((cells) => cells[column].length)),
  );
  for (const cells of [header, ...table]) {
    console.log(cells.map((cell, column) => cell.padStart(widths[column])).join('  '));
  }
  const failed = rows.filter((row) => !verdict(row)).length;
  console.log(
    `\n${failed === 0 ? 'PASS' : 'FAIL'}: ${rows.length - failed}/${rows.length} gaps in bounds`,
  );
  if (failed > 0) process.exitCode = 1;
}

await main();
