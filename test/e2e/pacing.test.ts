import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  startRateLimitServer,
  type RateLimitServer,
  type RateLimitServerOptions,
} from '../../bench/fixtures/ratelimit-server.mjs';
import { startFakeModelServer } from '../fakes/fake-model-server.js';
import { makeSandbox, runCli, spawnCli, type CliResult } from './cli-harness.js';
import { contractEvents, ofType } from './run-kit.js';
import { FLOW_HEADER, manifestOf } from './sessions-kit.js';

/**
 * Pacing end to end (scale-out.md "Pacing"): the built CLI against the provider-like
 * server of bench/ratelimit, which keeps token buckets per model and refuses with 429
 * whatever exceeds them — the server is the judge of "never over the limit".
 */

let sandbox: string;
let work: string;
let server: RateLimitServer | undefined;

beforeEach(() => {
  sandbox = makeSandbox();
  work = path.join(sandbox, 'work');
  fs.mkdirSync(work);
  fs.writeFileSync(
    path.join(work, 'agent.yaml'),
    `${FLOW_HEADER('personality')}personality: You answer in one word.\ntask: Acknowledge the item.\n`,
  );
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  fs.rmSync(sandbox, { recursive: true, force: true });
});

/** `main` and `alias` name one provider model (`mainModel`), `other` another. */
function writeModels(settings = '', mainModel = 'bench-model'): void {
  fs.writeFileSync(
    path.join(work, 'models.yaml'),
    `${FLOW_HEADER('model_config')}models:\n  main: ${mainModel}\n  alias: ${mainModel}\n  other: bench-model-b\n${settings}`,
  );
}

function listTask(items: number): string {
  return `  - task:
      name: list ${items}
      run: |
        printf '['; seq -s, 0 ${items - 1} | tr -d '\\n'; printf ']'
`;
}

function fanOut(name: string, modelLine: string, asyncLimit = 10): string {
  return `  - task:
      name: ${name}
      agents: [agent.yaml]
      ${modelLine}
      repeat_prompt: true
      async: true
      async_limit: ${asyncLimit}
      user_prompt: "Acknowledge item-{{ result }}"
`;
}

function writeFlow(tasks: string): void {
  fs.writeFileSync(
    path.join(work, 'flow.yaml'),
    `${FLOW_HEADER('taskflow')}model_config: models.yaml\ntaskflow:\n${tasks}`,
  );
}

async function run(
  options: RateLimitServerOptions,
  env: Record<string, string> = {},
): Promise<{ result: CliResult; server: RateLimitServer }> {
  const started = await startRateLimitServer(options);
  server = started;
  const result = await runCli(['run', 'flow.yaml', '--output', 'jsonl'], sandbox, {
    cwd: work,
    env: { AI_API_ENDPOINT: started.url, AI_API_TOKEN: 'pacing-token', ...env },
    timeoutMs: 60_000,
  });
  return { result, server: started };
}

/** The server's 429s, as `model +ms kind` from its first request (to say which, when any). */
function refused(started: RateLimitServer): string[] {
  const first = started.log[0]?.at ?? 0;
  return started.log
    .filter((entry) => entry.status === 429)
    .map((entry) => `${entry.model} +${Math.round(entry.at - first)}ms ${entry.kind}`);
}

describe('one budget per endpoint, model and credential', () => {
  it('two tasks and a 2-model task never go over the limit at the server', async () => {
    writeModels();
    writeFlow(
      listTask(20) +
        fanOut('on main', 'model: main') +
        listTask(20) +
        fanOut('on alias', 'model: alias') +
        listTask(8) +
        fanOut('on both', 'models: [main, other]'),
    );
    const { result, server: started } = await run({
      latencyMs: 50,
      requests: { burst: 5, perSecond: 10 },
    });
    expect(result.code, result.stderr).toBe(0);
    const byModel = (model: string) => started.log.filter((entry) => entry.model === model);
    expect(byModel('bench-model')).toHaveLength(48);
    expect(byModel('bench-model-b')).toHaveLength(8);
    expect(refused(started)).toEqual([]);

    const events = contractEvents(result.stdout);
    const waits = ofType(events, 'rate-limit-wait');
    expect(
      waits.some((wait) => wait.reason === 'requests' && typeof wait.delayMs === 'number'),
    ).toBe(true);
    // One budget per provider model: only a model's first task waits for a first answer
    // ("alias" is bench-model again, so its task already knows the budget).
    const firstAnswers = waits.filter((wait) => wait.reason === 'first-answer');
    expect(
      new Set(firstAnswers.map((wait) => `${String(wait.taskIndex)} ${String(wait.model)}`)),
    ).toEqual(new Set(['1 bench-model', '5 bench-model-b']));

    const ends = ofType(events, 'task-end').filter((end) => end.taskName === 'on main');
    expect(ends[0]?.pacedMs).toBeGreaterThan(0);
    const sessionId = String(ofType(events, 'taskflow-start')[0]?.sessionId);
    const tasks = manifestOf(sandbox, sessionId).tasks as { name: string; pacedMs?: number }[];
    expect(tasks.find((task) => task.name === 'on main')?.pacedMs).toBeGreaterThan(0);
    const shown = await runCli(['sessions', 'show', sessionId], sandbox);
    expect(shown.stdout).toMatch(/on main .* paced \d/);
  });
});

describe('declared limits (an endpoint that sends no rate-limit headers)', () => {
  // Strict enough to refuse an unpaced fan-out of 10; a burst of 6 absorbs the server's own
  // stalls on a loaded machine (requests queued meanwhile arrive together).
  const noHeaders: RateLimitServerOptions = {
    latencyMs: 50,
    requests: { burst: 6, perSecond: 10 },
    headers: false,
  };

  it('model_settings.<model>.rate_limits is honoured: the server refuses nothing', async () => {
    writeModels('model_settings:\n  main:\n    rate_limits:\n      requests_per_minute: 480\n');
    writeFlow(listTask(12) + fanOut('on main', 'model: main'));
    const { result, server: started } = await run(noHeaders);
    expect(result.code, result.stderr).toBe(0);
    expect(started.log).toHaveLength(12);
    expect(refused(started)).toEqual([]);
    const waits = ofType(contractEvents(result.stdout), 'rate-limit-wait');
    expect(waits.filter((wait) => wait.reason === 'requests').length).toBeGreaterThan(0);
  });

  it('TASKFLOW_RATE_LIMITS is honoured the same way', async () => {
    writeModels();
    writeFlow(listTask(12) + fanOut('on main', 'model: main'));
    const { result, server: started } = await run(noHeaders, {
      TASKFLOW_RATE_LIMITS: 'bench-model: rpm=480',
    });
    expect(result.code, result.stderr).toBe(0);
    expect(started.log).toHaveLength(12);
    expect(refused(started)).toEqual([]);
  });

  it('without them the same fan-out is refused (the server is a strict judge)', async () => {
    writeModels();
    writeFlow(listTask(12) + fanOut('on main', 'model: main'));
    const { result, server: started } = await run(noHeaders);
    expect(result.code, result.stderr).toBe(0);
    expect(refused(started).length).toBeGreaterThan(0);
  });

  it('invalid rate_limits in a model config: exit 2 naming file:line, no request sent', async () => {
    writeModels(
      'model_settings:\n  main:\n    rate_limits:\n      requests_per_minute: -5\n      rpm: 3\n',
    );
    writeFlow(listTask(2) + fanOut('on main', 'model: main'));
    const { result, server: started } = await run(noHeaders);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /models\.yaml:11:\d+ model_settings\.main\.rate_limits\.requests_per_minute: must be a number above 0/,
    );
    expect(result.stderr).toMatch(
      /models\.yaml:12:7 model_settings\.main\.rate_limits\.rpm: unknown rate limit/,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(started.log).toHaveLength(0);
  });

  it('an invalid TASKFLOW_RATE_LIMITS: exit 2 naming the column, no session, no request', async () => {
    writeModels();
    writeFlow(listTask(2) + fanOut('on main', 'model: main'));
    const { result, server: started } = await run(noHeaders, {
      TASKFLOW_RATE_LIMITS: 'rpm=10, tpm=lots',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'TASKFLOW_RATE_LIMITS:1:13: tokens_per_minute must be a number above 0',
    );
    expect(fs.existsSync(path.join(sandbox, 'sessions'))).toBe(false);
    expect(started.log).toHaveLength(0);
  });
});

describe('Ctrl-C', () => {
  it('SIGINT while items wait for the budget -> exit 130 within 2 s, no further request', async () => {
    await using fake = await startFakeModelServer();
    fake.setHandler(() => ({ kind: 'message', text: 'ok' }));
    writeModels(
      'model_settings:\n  main:\n    rate_limits:\n      requests_per_minute: 6\n',
      'fake-model',
    );
    writeFlow(listTask(3) + fanOut('on main', 'model: main'));
    const child = spawnCli(['run', 'flow.yaml', '--output', 'plain'], sandbox, {
      cwd: work,
      env: { AI_API_ENDPOINT: fake.url, AI_API_TOKEN: 'pacing-token' },
    });
    child.stdin?.end();
    let stdout = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.resume();
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const deadline = performance.now() + 20_000;
    const chat = () => fake.requests.filter((request) => request.api === 'chat');
    // The first item's request went (and was answered); the others wait ~10 s each.
    const notice = /paced: request budget of fake-model spent \(0 left\), next in \d+s/;
    while (!notice.test(stdout) || !/\[item 1\] succeeded/.test(stdout)) {
      if (performance.now() > deadline) throw new Error(`no pacing notice; stdout: ${stdout}`);
      await delay(20);
    }
    const sentAt = performance.now();
    child.kill('SIGINT');
    const code = await exited;
    expect(code).toBe(130);
    expect(performance.now() - sentAt).toBeLessThan(2500);
    expect(chat()).toHaveLength(1);
  });
});
