import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TaskflowError } from '../../src/errors.js';
import { acquireLock, inspectLock } from '../../src/sessions/lock.js';
import { tempDir } from './session-fixtures.js';

function sessionDir(): string {
  const dir = path.join(tempDir(), '0a1b2c3d4e5f');
  fs.mkdirSync(dir);
  return dir;
}

function writeLock(dir: string, lock: { pid: number; host?: string; startedAt?: string }): void {
  fs.writeFileSync(
    path.join(dir, 'lock'),
    JSON.stringify({ host: os.hostname(), startedAt: new Date().toISOString(), ...lock }),
  );
}

function lockError(dir: string): TaskflowError {
  try {
    acquireLock(dir).release();
  } catch (error) {
    if (error instanceof TaskflowError) return error;
    throw error;
  }
  throw new Error('expected the lock to be refused');
}

function readLock(dir: string): { pid: number; token?: string } {
  return JSON.parse(fs.readFileSync(path.join(dir, 'lock'), 'utf8')) as { pid: number };
}

describe('session lock', () => {
  it('holds pid, host and start time; a second acquire fails clearly', () => {
    const dir = sessionDir();
    const lock = acquireLock(dir);
    expect(readLock(dir)).toMatchObject({ pid: process.pid, host: os.hostname() });
    const error = lockError(dir);
    expect(error.code).toBe('session-locked');
    expect(error.message).toBe(
      `session 0a1b2c3d4e5f is in use by process ${process.pid} on ${os.hostname()} since ${lock.info.startedAt} (this process)`,
    );
    lock.release();
    expect(fs.existsSync(path.join(dir, 'lock'))).toBe(false);
  });

  it('refuses a lock held by another live process on this host', () => {
    const dir = sessionDir();
    const startedAt = '2025-01-01T00:00:00.000Z';
    writeLock(dir, { pid: process.ppid, startedAt });
    expect(lockError(dir).message).toBe(
      `session 0a1b2c3d4e5f is in use by process ${process.ppid} on ${os.hostname()} since ${startedAt}`,
    );
    expect(inspectLock(dir).state).toBe('held');
  });

  it('takes over a lock whose process has exited', () => {
    const dir = sessionDir();
    const exited = spawnSync(process.execPath, ['-e', '0']);
    writeLock(dir, { pid: exited.pid });
    expect(inspectLock(dir)).toEqual({
      state: 'stale',
      info: readLock(dir),
      reason: `process ${exited.pid} of the lock is gone`,
    });
    const lock = acquireLock(dir);
    expect(readLock(dir)).toEqual(lock.info);
    expect(fs.readdirSync(dir)).toEqual(['lock']);
    lock.release();
  });

  it('takes over a lock whose process is a zombie', async () => {
    const dir = sessionDir();
    // The forked child exits at once and becomes a zombie: its parent never waits for it.
    const parent = spawn(
      'perl',
      ['-e', '$| = 1; my $child = fork(); exit 0 if $child == 0; print "$child\n"; sleep 30'],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    try {
      const zombiePid = await new Promise<number>((resolve) =>
        parent.stdout.once('data', (data: Buffer) => resolve(Number(data.toString().trim()))),
      );
      while (!/\) Z/.test(fs.readFileSync(`/proc/${zombiePid}/stat`, 'utf8'))) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      writeLock(dir, { pid: zombiePid });
      expect(inspectLock(dir)).toEqual({
        state: 'stale',
        info: readLock(dir),
        reason: `process ${zombiePid} of the lock is a zombie`,
      });
      acquireLock(dir).release();
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('treats a lock from an earlier process with our own pid as stale', () => {
    const dir = sessionDir();
    writeLock(dir, { pid: process.pid, startedAt: '2000-01-01T00:00:00.000Z' });
    acquireLock(dir).release();
  });

  it('treats a lock from another host as held for 24 h', () => {
    const dir = sessionDir();
    writeLock(dir, { pid: 4242, host: 'elsewhere' });
    const error = lockError(dir);
    expect(error.message).toMatch(
      /^session 0a1b2c3d4e5f is in use by process 4242 on elsewhere since /,
    );
    expect(error.message).toMatch(/another host: its lock counts as held until it is 24 h old/);
    writeLock(dir, {
      pid: 4242,
      host: 'elsewhere',
      startedAt: new Date(Date.now() - 25 * 3600_000).toISOString(),
    });
    acquireLock(dir).release();
  });

  it('treats an unreadable lock as held briefly, then as stale', () => {
    const dir = sessionDir();
    const lockPath = path.join(dir, 'lock');
    fs.writeFileSync(lockPath, '');
    expect(lockError(dir).message).toMatch(/is being locked by another process/);
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lockPath, old, old);
    acquireLock(dir).release();
  });

  it('release removes the lock only while it is still ours', () => {
    const dir = sessionDir();
    const lock = acquireLock(dir);
    writeLock(dir, { pid: process.ppid });
    lock.release();
    expect(readLock(dir).pid).toBe(process.ppid);
  });
});
