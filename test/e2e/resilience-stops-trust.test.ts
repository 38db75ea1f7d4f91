import { describe, expect, it } from 'vitest';
import type { FakeReply } from '../fakes/fake-model-server.js';
import { parseJsonl, runCli, type CliResult } from './cli-harness.js';
import { ofType, runTaskflow } from './run-kit.js';
import { manifestOf, useSessionsWorkspace } from './sessions-kit.js';

/**
 * Resumable stops the built CLI must survive (issue 10): an exhausted rate-limit ladder
 * (defect 10b) and absurd `retry-after` values (defect 5b) end in exit 75 with a valid
 * `resumeNotBefore` in the manifest, never exit 1 or a crash. Waits are kept short with
 * small hints; the ladder's backoff itself is covered on a fake clock in
 * test/engine/resilience-ladder-exhausted.test.ts.
 */

/** The longest server wait honoured: 7 days (MAX_HONOURED_HINT_MS). */
const SEVEN_DAYS_MS = 7 * 24 * 3_600_000;

const workspace = useSessionsWorkspace({
  flow: `taskflow:
  - task:
      name: ask
      agents: [taskflow.personalities.assistant]
      user_prompt: Say hello
`,
});

function run(): Promise<CliResult> {
  const { server, sandbox, work } = workspace;
  return runTaskflow(server, sandbox, ['flow.yaml', '--output', 'jsonl'], { cwd: work });
}

function sessionIdOf(result: CliResult): string {
  const [start] = ofType(parseJsonl(result.stdout), 'taskflow-start');
  return String(start?.sessionId);
}

/** The stop as the manifest and stderr show it; `resumeNotBefore` must be a valid date. */
function expectResumableStop(result: CliResult, errorClass: string): number {
  expect(result.code, result.stderr).toBe(75);
  expect(result.stderr).not.toMatch(/Invalid time value|internal error|RangeError/);
  const sessionId = sessionIdOf(result);
  expect(result.stderr).toContain(`Resume with: taskflow resume ${sessionId}`);
  const manifest = manifestOf(workspace.sandbox, sessionId);
  expect(manifest.status).toBe('stopped');
  expect(manifest.error).toMatchObject({ code: 'stopped', class: errorClass });
  const notBefore = Date.parse(String(manifest.resumeNotBefore));
  expect(Number.isNaN(notBefore)).toBe(false);
  expect(result.stdout + result.stderr).toContain(
    `resume possible after ${String(manifest.resumeNotBefore)}`,
  );
  return notBefore;
}

describe('rate-limit ladder exhausted (429 on every attempt)', () => {
  it('8 requests, exit 75 with resumeNotBefore; resume makes the 4 attempts left, then exit 1', async () => {
    const { server, sandbox, work } = workspace;
    const limited: FakeReply = {
      kind: 'error',
      status: 429,
      headers: { 'retry-after-ms': '200' },
      body: { error: { message: 'Rate limit reached', type: 'rate_limit', code: null } },
    };
    server.setHandler(() => limited);
    const result = await run();
    expect(server.requests).toHaveLength(8);
    const notBefore = expectResumableStop(result, 'rate-limit');
    const lastSentAt = server.requests.at(-1)?.receivedAt ?? 0;
    // Not before the wait the server asked for after the eighth 429.
    expect(notBefore - lastSentAt).toBeGreaterThanOrEqual(200);
    expect(notBefore - lastSentAt).toBeLessThanOrEqual(5000);
    const starts = ofType(parseJsonl(result.stdout), 'model-request-start');
    expect(starts.map((event) => event.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);

    const sessionId = sessionIdOf(result);
    const resumed = await runCli(['resume', sessionId, '--wait', '--output', 'jsonl'], sandbox, {
      cwd: work,
      env: { AI_API_ENDPOINT: server.url, AI_API_TOKEN: 'test-token-run' },
    });
    expect(resumed.code, resumed.stderr).toBe(1);
    expect(server.requests).toHaveLength(12);
    const resumedStarts = ofType(parseJsonl(resumed.stdout), 'model-request-start');
    expect(resumedStarts.map((event) => event.attempt)).toEqual([9, 10, 11, 12]);
  });
});

describe('absurd retry-after values', () => {
  it.each([
    ['429, retry-after 1e20 s', 429, '100000000000000000000', 'quota'],
    ['503, retry-after 1e20 s', 503, '100000000000000000000', 'outage'],
    ['503, retry-after of 400 digits (Infinity)', 503, '9'.repeat(400), 'outage'],
    ['503, retry-after in year 9999', 503, 'Fri, 31 Dec 9999 23:59:59 GMT', 'outage'],
  ] as const)(
    '%s -> 1 request, exit 75, resumeNotBefore 7 days out',
    async (_, status, value, errorClass) => {
      const { server } = workspace;
      server.enqueue({ kind: 'error', status, headers: { 'retry-after': value } });
      const result = await run();
      expect(server.requests).toHaveLength(1);
      const notBefore = expectResumableStop(result, errorClass);
      const sentAt = server.requests[0]?.receivedAt ?? 0;
      expect(Math.abs(notBefore - (sentAt + SEVEN_DAYS_MS))).toBeLessThan(5000);
    },
  );

  it.each([
    ['negative', '-1'],
    ['NaN', 'NaN'],
  ])('503 with a %s retry-after, then an answer -> 2 requests, exit 0', async (_, value) => {
    const { server } = workspace;
    server.enqueue(
      { kind: 'error', status: 503, headers: { 'retry-after': value } },
      { kind: 'message', text: 'The final answer.' },
    );
    const result = await run();
    expect(result.code, result.stderr).toBe(0);
    expect(server.requests).toHaveLength(2);
  });
});
