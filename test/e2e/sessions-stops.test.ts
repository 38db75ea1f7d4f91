import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonl } from './cli-harness.js';
import {
  answerItems,
  isSummary,
  itemOf,
  itemsFlow,
  journalOf,
  manifestOf,
  modelRequests,
  onlySession,
  runToEnd,
  sessionsRoot,
  startCli,
  useSessionsWorkspace,
  waitFor,
  writeFlow,
} from './sessions-kit.js';

/**
 * Runs that stop on purpose and continue (sessions.md "Resume", cli.md "Exit codes"):
 * Ctrl-C (exit 130) and a Retry-After too long to wait in-process (exit 75 with
 * `resumeNotBefore`); both resume where they stopped.
 */

const workspace = useSessionsWorkspace({ handler: answerItems, flow: itemsFlow(4) });

const itemsOf = (requests: ReturnType<typeof modelRequests>) =>
  requests.filter((request) => !isSummary(request)).map(itemOf);

describe('resume after Ctrl-C', () => {
  it('exits 130 with "Resume with", and the resume continues with the interrupted item', async () => {
    const { server, sandbox, work } = workspace;
    let parked = false;
    server.setHandler((request) => {
      if (!isSummary(request) && itemOf(request) === 2) {
        parked = true;
        return { kind: 'stall' };
      }
      return answerItems(request);
    });
    const running = startCli(server, sandbox, ['run', 'flow.yaml', '--output', 'plain'], {
      cwd: work,
    });
    await waitFor('item 2 to be sent', () => parked);
    running.child.kill('SIGINT');
    const stopped = await running.done;
    expect(stopped.code).toBe(130);
    const id = onlySession(sandbox);
    expect(stopped.stderr).toContain(`Resume with: taskflow resume ${id}`);
    expect(manifestOf(sandbox, id)).toMatchObject({ status: 'interrupted' });
    // An interrupted item is not finished; the lock was released on the way out.
    const ends = journalOf(sandbox, id).filter((line) => line.type === 'item-end');
    expect(ends.map((line) => line.item)).toEqual([0, 1]);
    expect(fs.existsSync(path.join(sessionsRoot(sandbox), id, 'lock'))).toBe(false);

    server.setHandler(answerItems);
    const before = modelRequests(server).length;
    const resumed = await runToEnd(server, sandbox, ['resume', id, '--output', 'plain'], {
      cwd: work,
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    const requests = modelRequests(server).slice(before);
    expect(itemsOf(requests)).toEqual([2, 3]);
    expect(requests.filter(isSummary)).toHaveLength(1);
    expect(manifestOf(sandbox, id)).toMatchObject({ status: 'succeeded' });
  });
});

describe('resume after a must_complete task failed', () => {
  it('resumes at the failed item: the items cancelled after it were never finished', async () => {
    const { server, sandbox, work } = workspace;
    writeFlow(work, 'must-complete', itemsFlow(5, { mustComplete: true }));
    let refused = false;
    server.setHandler((request) => {
      if (!refused && !isSummary(request) && itemOf(request) === 2) {
        refused = true;
        return { kind: 'error', status: 400 };
      }
      return answerItems(request);
    });
    const failed = await runToEnd(server, sandbox, ['run', 'must-complete.yaml'], { cwd: work });
    expect(failed.code, failed.stderr).toBe(1);
    const id = onlySession(sandbox);
    // Items 0 and 1 succeeded, item 2 failed; 3 and 4 never ran, so they are not finished.
    const ends = journalOf(sandbox, id).filter((line) => line.type === 'item-end');
    expect(ends.map((line) => [line.item, line.status])).toEqual([
      [0, 'succeeded'],
      [1, 'succeeded'],
      [2, 'failed'],
    ]);
    expect(manifestOf(sandbox, id)).toMatchObject({
      tasks: [{}, { status: 'failed', items: { total: 5, succeeded: 2, failed: 1 } }, {}],
    });

    const before = modelRequests(server).length;
    const resumed = await runToEnd(server, sandbox, ['resume', id], { cwd: work });
    expect(resumed.code, resumed.stderr).toBe(0);
    const requests = modelRequests(server).slice(before);
    expect(itemsOf(requests)).toEqual([2, 3, 4]);
    expect(requests.filter(isSummary)).toHaveLength(1);
    expect(manifestOf(sandbox, id)).toMatchObject({ status: 'succeeded' });
  });
});

describe('resume after a long Retry-After', () => {
  it('stops with 75, refuses to resume early, then continues the attempt count', async () => {
    const { server, sandbox, work } = workspace;
    let limited = false;
    server.setHandler((request) => {
      if (!limited && !isSummary(request) && itemOf(request) === 2) {
        limited = true;
        return {
          kind: 'error',
          status: 429,
          headers: { 'retry-after': '600' },
          body: { error: { message: 'Rate limit reached', type: 'rate_limit', code: null } },
        };
      }
      return answerItems(request);
    });
    const startedMs = Date.now();
    const stopped = await runToEnd(server, sandbox, ['run', 'flow.yaml', '--output', 'plain'], {
      cwd: work,
    });
    expect(stopped.code, stopped.stderr).toBe(75);
    const id = onlySession(sandbox);
    expect(stopped.stderr).toContain(`Resume with: taskflow resume ${id}`);
    const manifest = manifestOf(sandbox, id) as { status: string; resumeNotBefore?: string };
    expect(manifest.status).toBe('stopped');
    const notBefore = Date.parse(manifest.resumeNotBefore ?? '');
    expect(notBefore - startedMs).toBeGreaterThanOrEqual(600_000);
    expect(notBefore - Date.now()).toBeLessThanOrEqual(602_000);
    expect(stopped.stdout + stopped.stderr).toContain(
      `resume possible after ${manifest.resumeNotBefore}`,
    );

    const before = modelRequests(server).length;
    const early = await runToEnd(server, sandbox, ['resume', id, '--output', 'plain'], {
      cwd: work,
    });
    expect(early.code).toBe(75);
    expect(early.stderr).toContain(`can resume after ${manifest.resumeNotBefore}`);
    expect(modelRequests(server).length).toBe(before);

    // Ten minutes later (the clock is the manifest's): resume continues.
    const manifestPath = path.join(sessionsRoot(sandbox), id, 'manifest.json');
    const stored = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
    stored.resumeNotBefore = new Date(Date.now() - 1000).toISOString();
    fs.writeFileSync(manifestPath, JSON.stringify(stored));
    const resumed = await runToEnd(server, sandbox, ['resume', id, '--output', 'jsonl'], {
      cwd: work,
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    const requests = modelRequests(server).slice(before);
    expect(itemsOf(requests)).toEqual([2, 3]);
    // The rate-limited attempt counts: item 2's request continues at attempt 2.
    const starts = parseJsonl(resumed.stdout).filter(
      (event) => event.type === 'model-request-start' && event.taskIndex === 1,
    );
    expect(starts.map((event) => [event.itemIndex, event.attempt])).toEqual([
      [2, 2],
      [3, 1],
    ]);
    expect(manifestOf(sandbox, id)).toMatchObject({ status: 'succeeded' });
    expect(manifestOf(sandbox, id)).not.toHaveProperty('resumeNotBefore');
    expect(manifestOf(sandbox, id)).not.toHaveProperty('error');
  });
});
