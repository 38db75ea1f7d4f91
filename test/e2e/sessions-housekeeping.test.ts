import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/fake-model-server.js';
import { makeSandbox, runCli, type CliResult } from './cli-harness.js';
import {
  crash,
  itemsFlow,
  onlySession,
  sessionIds,
  sessionsRoot,
  startCli,
  waitFor,
  writeFlow,
  writeWorkspace,
} from './sessions-kit.js';

/**
 * Issue 11 point 8: `sessions prune` removes old sessions by age and status (default:
 * succeeded, older than 7d), prints each, never touches one a live process holds, and
 * `--dry-run` deletes nothing; `sessions rm` takes several ids and still removes the
 * known ones when another is unknown (exit 1, one line naming it).
 */

let sandbox: string;

beforeEach(() => {
  sandbox = makeSandbox();
});
afterEach(() => {
  fs.rmSync(sandbox, { recursive: true, force: true });
});

const DAY_MS = 86_400_000;
const ids = {
  oldDone: 'a1b2c3d4e5f6',
  newDone: 'b1b2c3d4e5f6',
  oldFailed: 'c1b2c3d4e5f6',
  ancientStopped: 'd1b2c3d4e5f6',
  oldKilled: 'e1b2c3d4e5f6',
} as const;

/** A session folder as a run leaves it (manifest only), last updated `daysAgo` days ago. */
function writeSession(id: string, status: string, daysAgo: number): void {
  const dir = path.join(sessionsRoot(sandbox), id);
  fs.mkdirSync(dir, { recursive: true });
  const at = new Date(Date.now() - daysAgo * DAY_MS).toISOString();
  const manifest = {
    schemaVersion: 1,
    id,
    status,
    createdAt: at,
    updatedAt: at,
    taskflow: { reference: `flows.${id}`, path: `/flows/${id}.yaml` },
    globals: {},
    fingerprint: { algorithm: 'sha256', files: {}, digest: '0' },
    runner: { version: '0.0.0' },
    tasks: [],
    usage: { inputTokens: 0, outputTokens: 0 },
    outputs: {},
  };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
}

function writeSessions(): void {
  writeSession(ids.oldDone, 'succeeded', 10);
  writeSession(ids.newDone, 'succeeded', 1);
  writeSession(ids.oldFailed, 'failed', 10);
  writeSession(ids.ancientStopped, 'stopped', 30);
  writeSession(ids.oldKilled, 'running', 10);
}

const sessions = (...args: string[]) => runCli(['sessions', ...args], sandbox);
const remaining = () => sessionIds(sandbox).sort();
const lines = (text: string) => text.trimEnd().split('\n');

function expectUsageError(result: CliResult, message: string): void {
  expect(result.code).toBe(2);
  expect(lines(result.stderr)).toEqual([expect.stringContaining(message)]);
  expect(result.stderr.startsWith('taskflow: ')).toBe(true);
}

describe('sessions prune', () => {
  it('by default removes succeeded sessions older than 7 days, printing each', async () => {
    writeSessions();
    const result = await sessions('prune');
    expect(result.code, result.stderr).toBe(0);
    expect(lines(result.stdout)).toEqual([
      expect.stringMatching(new RegExp(`^removed ${ids.oldDone}  succeeded  \\S+  flows\\.`)),
      'removed 1 session (last updated more than 7d ago, status succeeded)',
    ]);
    expect(remaining()).toEqual(
      [ids.newDone, ids.oldFailed, ids.ancientStopped, ids.oldKilled].sort(),
    );
  });

  it('--dry-run lists what --status finished would remove and deletes nothing', async () => {
    writeSessions();
    const result = await sessions(
      'prune',
      '--status',
      'finished',
      '--older-than',
      '5d',
      '--dry-run',
    );
    expect(result.code, result.stderr).toBe(0);
    const shown = lines(result.stdout);
    expect(
      shown.filter((line) => line.startsWith('would remove ')).map((line) => line.split(/\s+/)[2]),
    ).toEqual(expect.arrayContaining([ids.oldDone, ids.oldFailed, ids.ancientStopped]));
    expect(shown.at(-1)).toBe(
      'would remove 3 sessions (last updated more than 5d ago, status finished)',
    );
    expect(remaining()).toHaveLength(5);
  });

  it('takes several statuses and an age; a killed run is pruned only when asked for', async () => {
    writeSessions();
    const stopped = await sessions('prune', '--status', 'failed,stopped', '--older-than', '20d');
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout).toContain(`removed ${ids.ancientStopped}`);
    expect(remaining()).not.toContain(ids.ancientStopped);
    expect(remaining()).toContain(ids.oldFailed);

    const killed = await sessions('prune', '--status', 'running');
    expect(killed.stdout).toContain(`removed ${ids.oldKilled}  running`);
    expect(remaining()).toEqual([ids.oldDone, ids.newDone, ids.oldFailed].sort());

    const nothing = await sessions('prune', '--status', 'interrupted');
    expect(nothing.code).toBe(0);
    expect(nothing.stdout).toBe(
      'nothing to prune (no session last updated more than 7d ago, status interrupted)\n',
    );
  });

  it('refuses an age or a status it does not know', async () => {
    writeSessions();
    expectUsageError(
      await sessions('prune', '--older-than', 'soon'),
      '--older-than: expected a duration such as 7d, 12h or 30m, got "soon"',
    );
    expectUsageError(
      await sessions('prune', '--status', 'done'),
      '--status: unknown status "done"',
    );
    expect(remaining()).toHaveLength(5);
  });

  it('never removes a session a live run holds', async () => {
    const server: FakeModelServer = await startFakeModelServer();
    try {
      server.setHandler(() => ({ kind: 'stall' }));
      const work = writeWorkspace(sandbox);
      writeFlow(work, 'flow', itemsFlow(2));
      const running = startCli(server, sandbox, ['run', 'flow.yaml', '--output', 'plain'], {
        cwd: work,
      });
      await waitFor('the stalled request', () => server.requests.length > 0);
      const id = onlySession(sandbox);
      writeSession(ids.oldDone, 'succeeded', 10);

      const result = await sessions('prune', '--older-than', '0s', '--status', 'all');
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(`kept ${id}: in use by a running process`);
      expect(result.stdout).toContain(`removed ${ids.oldDone}`);
      expect(remaining()).toEqual([id]);

      const removed = await sessions('rm', id);
      expect(removed.code).toBe(1);
      expect(removed.stderr).toContain(`session ${id} is in use by process`);
      expect(remaining()).toEqual([id]);
      await crash(running);
    } finally {
      await server.close();
    }
  });
});

describe('sessions rm', () => {
  it('removes several sessions, by id or unique prefix', async () => {
    writeSessions();
    const result = await sessions('rm', ids.oldDone, ids.newDone, ids.oldFailed.slice(0, 4));
    expect(result.code, result.stderr).toBe(0);
    expect(lines(result.stdout)).toEqual([
      `removed session ${ids.oldDone}`,
      `removed session ${ids.newDone}`,
      `removed session ${ids.oldFailed}`,
    ]);
    expect(remaining()).toEqual([ids.ancientStopped, ids.oldKilled].sort());
  });

  it('names an unknown id (exit 1) and still removes the others', async () => {
    writeSessions();
    const result = await sessions('rm', ids.oldDone, 'ffffffffffff', ids.oldKilled);
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([
      `taskflow: no session ffffffffffff in ${sessionsRoot(sandbox)}`,
    ]);
    expect(lines(result.stdout)).toEqual([
      `removed session ${ids.oldDone}`,
      `removed session ${ids.oldKilled}`,
    ]);
    expect(remaining()).toEqual([ids.newDone, ids.oldFailed, ids.ancientStopped].sort());
  });
});
