import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { beforeEach, describe, expect, it } from 'vitest';
import { type FakeModelServer, type FakeReply } from '../fakes/fake-model-server.js';
import { parseJsonl, runCli, spawnCli, type CliResult } from './cli-harness.js';
import { helloWorkspace, ofType, runTaskflow } from './run-kit.js';

/**
 * Fault injection against the built CLI where the exit code, the session files or the
 * output matter and nothing sleeps long (resilience.md "Classification", cli.md "Exit
 * codes"). Long waits are covered in-process on a fake clock (test/engine/resilience-*).
 */

let server: FakeModelServer;
let sandbox: string;
let work: string;

beforeEach(async () => {
  const workspace = await helloWorkspace();
  ({ server, sandbox, work } = workspace);
  return () => workspace.close();
});

function run(output: 'jsonl' | 'plain', env: Record<string, string> = {}): Promise<CliResult> {
  return runTaskflow(server, sandbox, ['flow.yaml', '--output', output], { cwd: work, env });
}

function sessionIdOf(result: CliResult): string {
  const [start] = ofType(parseJsonl(result.stdout), 'taskflow-start');
  return String(start?.sessionId);
}

function manifestOf(sessionId: string): Record<string, unknown> {
  const file = path.join(sandbox, 'sessions', sessionId, 'manifest.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
}

const answer: FakeReply = { kind: 'message', text: 'The final answer.' };

describe('stops without retry', () => {
  it('429 retry-after: 3600 -> one request, exit 75, resumeNotBefore in 1 h; early resume exits 75', async () => {
    server.enqueue({ kind: 'error', status: 429, headers: { 'retry-after': '3600' } });
    const result = await run('jsonl');
    expect(result.code, result.stderr).toBe(75);
    expect(server.requests).toHaveLength(1);
    const sentAt = server.requests[0]?.receivedAt ?? 0;
    const sessionId = sessionIdOf(result);
    expect(result.stderr).toContain(`Resume with: taskflow resume ${sessionId}`);
    const manifest = manifestOf(sessionId);
    expect(manifest.status).toBe('stopped');
    const notBefore = Date.parse(String(manifest.resumeNotBefore));
    expect(Math.abs(notBefore - (sentAt + 3_600_000))).toBeLessThan(5000);

    const resumed = await runCli(['resume', sessionId], sandbox, {
      cwd: work,
      env: { AI_API_ENDPOINT: server.url, AI_API_TOKEN: 'test-token-run' },
    });
    expect(resumed.code, resumed.stderr).toBe(75);
    expect(resumed.stderr).toMatch(/can resume after/);
    expect(server.requests).toHaveLength(1);
  });

  it.each([
    ['without x-should-retry', {}],
    ['with x-should-retry: true', { 'x-should-retry': 'true' }],
  ])('429 insufficient_quota %s -> one request, exit 69', async (_, headers) => {
    server.enqueue({
      kind: 'error',
      status: 429,
      headers,
      body: {
        error: {
          message: 'You exceeded your current quota, please check your plan and billing details.',
          type: 'insufficient_quota',
          code: 'insufficient_quota',
        },
      },
    });
    const result = await run('jsonl');
    expect(result.code, result.stderr).toBe(69);
    expect(server.requests).toHaveLength(1);
    expect(result.stderr).toMatch(/quota exhausted/);
  });

  it('401 -> exit 78 after one request, naming the endpoint', async () => {
    server.enqueue({ kind: 'error', status: 401 });
    const result = await run('plain');
    expect(result.code, result.stderr).toBe(78);
    expect(server.requests).toHaveLength(1);
    expect(result.stderr).toContain(`authentication failed at ${server.url}`);
  });

  it('404 model -> exit 78 after one request, naming the model', async () => {
    server.enqueue({
      kind: 'error',
      status: 404,
      body: { error: { message: 'Unknown model', code: 'model_not_found' } },
    });
    const result = await run('plain');
    expect(result.code, result.stderr).toBe(78);
    expect(server.requests).toHaveLength(1);
    expect(result.stderr).toContain(`model "fake-model" not found at ${server.url}`);
  });
});

describe('network', () => {
  it('ECONNREFUSED on a closed loopback port -> exactly 2 attempts, exit 78', async () => {
    const port = await closedPort();
    const result = await run('jsonl', { AI_API_ENDPOINT: `http://127.0.0.1:${port}/v1` });
    expect(result.code, result.stderr).toBe(78);
    const starts = ofType(parseJsonl(result.stdout), 'model-request-start');
    expect(starts.map((event) => event.attempt)).toEqual([1, 2]);
    expect(result.stderr).toMatch(/connection refused 2 times — is the local server running\?/);
  });
});

describe('streams', () => {
  const dropThenAnswer: FakeReply[] = [
    { kind: 'drop', afterDeltas: 3, text: 'partial words that vanish soon' },
    answer,
  ];

  it('a stream dropped after three deltas is re-sent once, identically (jsonl)', async () => {
    server.enqueue(...dropThenAnswer);
    const result = await run('jsonl');
    expect(result.code, result.stderr).toBe(0);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]?.body).toEqual(server.requests[0]?.body);
    const events = parseJsonl(result.stdout);
    const retries = ofType(events, 'model-retry');
    expect(retries).toEqual([
      expect.objectContaining({
        errorClass: 'stream-interrupted',
        status: null,
        attempt: 1,
        maxAttempts: 12,
        delaySource: 'backoff',
      }),
    ]);
    // The partial deltas came before the retry; the answer follows it in full.
    const deltas = ofType(events, 'text-delta');
    const retryIndex = events.indexOf(retries[0] as Record<string, unknown>);
    const after = deltas.filter((delta) => events.indexOf(delta) > retryIndex);
    expect(after.map((delta) => delta.text).join('')).toBe('The final answer.');
    expect(deltas.length - after.length).toBe(3);
  });

  it('the final answer is printed once and the partial text not at all (plain)', async () => {
    server.enqueue(...dropThenAnswer);
    const result = await run('plain');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.split('The final answer.')).toHaveLength(2);
    expect(result.stdout).not.toContain('partial');
  });
});

describe('accounting', () => {
  it('sessions show reports the requests, retries by class and the wait of a retried run', async () => {
    server.enqueue({ kind: 'error', status: 503, headers: { 'retry-after-ms': '300' } }, answer);
    const result = await run('jsonl');
    expect(result.code, result.stderr).toBe(0);
    const sessionId = sessionIdOf(result);
    const [task] = manifestOf(sessionId).tasks as Record<string, unknown>[];
    expect(task).toMatchObject({ requests: 2, retries: { server: 1 } });
    expect(task?.waitMs).toBeGreaterThanOrEqual(300);
    expect(task?.waitMs).toBeLessThanOrEqual(330);
    const shown = await runCli(['sessions', 'show', sessionId], sandbox);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/requests 2 {2}retries: server 1 {2}waited /);
  });
});

describe('Ctrl-C', () => {
  it('SIGINT during a 30 s rate-limit wait -> exit 130 within 2 s, no further request', async () => {
    server.enqueue({ kind: 'error', status: 429, headers: { 'retry-after': '30' } });
    const child = spawnCli(['run', 'flow.yaml', '--output', 'plain'], sandbox, {
      cwd: work,
      env: {
        AI_API_ENDPOINT: server.url,
        AI_API_TOKEN: 'test-token-run',
        TASKFLOW_DEFAULT_MODEL: 'fake-model',
      },
    });
    child.stdin?.end();
    let stdout = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.resume();
    const exited = new Promise<{ code: number | null; atMs: number }>((resolve) =>
      child.once('exit', (code) => resolve({ code, atMs: performance.now() })),
    );
    const deadline = performance.now() + 20_000;
    while (!/retrying in/.test(stdout)) {
      if (performance.now() > deadline) throw new Error(`no retry notice; stdout: ${stdout}`);
      await delay(20);
    }
    const sentAt = performance.now();
    child.kill('SIGINT');
    const exit = await exited;
    expect(exit.code).toBe(130);
    expect(exit.atMs - sentAt).toBeLessThan(2500);
    expect(server.requests).toHaveLength(1);
  });
});

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
