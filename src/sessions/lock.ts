import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as z from '../zod.js';
import { TaskflowError } from '../errors.js';

export const LOCK_FILE = 'lock';
/** A lock from another host cannot be checked; it counts as held until this old. */
export const FOREIGN_LOCK_MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** An unreadable lock younger than this may be one being written right now. */
const UNREADABLE_LOCK_GRACE_MS = 10_000;
const TAKEOVER_ATTEMPTS = 5;

const lockInfoSchema = z.object({
  pid: z.int().check(z.positive()),
  host: z.string(),
  startedAt: z.iso.datetime({ offset: true }),
  /** Random; tells this holder's lock from a later one with the same pid. */
  token: z.optional(z.string()),
});
export type LockInfo = z.infer<typeof lockInfoSchema>;

export type LockState =
  | { readonly state: 'free' }
  | { readonly state: 'held'; readonly info?: LockInfo; readonly message: string }
  | { readonly state: 'stale'; readonly info?: LockInfo; readonly reason: string };

/** A held session lock; `release()` is idempotent. */
export interface SessionLock {
  readonly path: string;
  readonly info: LockInfo;
  /** Removes the lock file only if it is still ours. */
  release(): void;
  [Symbol.dispose](): void;
}

/**
 * Takes `<sessionDir>/lock` with an exclusive create. A stale lock (its process is gone
 * or a zombie, or it came from another host more than 24 h ago) is moved aside and the
 * exclusive create retried, so two processes taking over the same stale lock cannot
 * both win.
 *
 * @throws TaskflowError 'session-locked' when a live process holds the lock
 */
export function acquireLock(sessionDir: string): SessionLock {
  const lockPath = path.join(sessionDir, LOCK_FILE);
  const info: LockInfo = {
    pid: process.pid,
    host: os.hostname(),
    startedAt: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
  };
  for (let attempt = 0; attempt < TAKEOVER_ATTEMPTS; attempt++) {
    if (createExclusive(lockPath, `${JSON.stringify(info)}\n`)) return heldLock(lockPath, info);
    const text = readText(lockPath);
    if (text === undefined) continue;
    const state = judgeLock(sessionDir, text, lockPath);
    if (state.state === 'held') throw new TaskflowError('session-locked', state.message);
    if (state.state === 'stale') moveAsideIfUnchanged(lockPath, text);
  }
  throw new TaskflowError(
    'session-locked',
    `session ${path.basename(sessionDir)}: could not take the lock ${lockPath} (other processes keep replacing it)`,
  );
}

/** The lock's state without changing anything (for `sessions list` and `rm`). */
export function inspectLock(sessionDir: string): LockState {
  const lockPath = path.join(sessionDir, LOCK_FILE);
  const text = readText(lockPath);
  return text === undefined ? { state: 'free' } : judgeLock(sessionDir, text, lockPath);
}

function judgeLock(sessionDir: string, text: string, lockPath: string): LockState {
  const id = path.basename(sessionDir);
  let parsed: ReturnType<typeof lockInfoSchema.safeParse> | undefined;
  try {
    parsed = lockInfoSchema.safeParse(JSON.parse(text));
  } catch {
    parsed = undefined;
  }
  if (!parsed?.success) {
    const ageMs = Date.now() - modifiedAtMs(lockPath);
    return ageMs > UNREADABLE_LOCK_GRACE_MS
      ? { state: 'stale', reason: 'the lock file is unreadable' }
      : { state: 'held', message: `session ${id} is being locked by another process` };
  }
  const info = parsed.data;
  const inUse = `session ${id} is in use by process ${info.pid} on ${info.host} since ${info.startedAt}`;
  if (info.host !== os.hostname()) {
    if (Date.now() - Date.parse(info.startedAt) > FOREIGN_LOCK_MAX_AGE_MS) {
      return { state: 'stale', info, reason: `the lock from host ${info.host} is older than 24 h` };
    }
    return {
      state: 'held',
      info,
      message: `${inUse} (another host: its lock counts as held until it is 24 h old; delete ${lockPath} if that process is gone)`,
    };
  }
  if (info.pid === process.pid) {
    const processStartMs = Date.now() - process.uptime() * 1000;
    // Same pid but older than this process: a container rerun reusing the pid.
    if (Date.parse(info.startedAt) < processStartMs - 1000) {
      return { state: 'stale', info, reason: `process ${info.pid} of the lock has exited` };
    }
    return { state: 'held', info, message: `${inUse} (this process)` };
  }
  const liveness = processLiveness(info.pid);
  if (liveness !== 'alive') {
    return { state: 'stale', info, reason: `process ${info.pid} of the lock is ${liveness}` };
  }
  return { state: 'held', info, message: inUse };
}

function processLiveness(pid: number): 'alive' | 'gone' | 'a zombie' {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return 'gone';
    return 'alive';
  }
  return isZombie(pid) ? 'a zombie' : 'alive';
}

/** Linux only: an exited process its parent has not reaped yet still answers kill(0). */
function isZombie(pid: number): boolean {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === undefined) return false;
  // The command name in parentheses may contain spaces or parentheses: read after the last ')'.
  return stat
    .slice(stat.lastIndexOf(')') + 1)
    .trim()
    .startsWith('Z');
}

function createExclusive(lockPath: string, content: string): boolean {
  const tempPath = `${path.dirname(lockPath)}/.lock-${process.pid}-${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(tempPath, content, { flag: 'wx', mode: 0o600 });
  try {
    // link() publishes the complete content atomically and fails if the lock exists.
    fs.linkSync(tempPath, lockPath);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') {
      throw error;
    }
  } finally {
    fs.rmSync(tempPath, { force: true });
  }
  // File systems without hard links: a plain exclusive create.
  try {
    fs.writeFileSync(lockPath, content, { flag: 'wx', mode: 0o600 });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Moves a stale lock aside; puts it back if someone replaced it after we judged it. */
function moveAsideIfUnchanged(lockPath: string, judgedText: string): void {
  const asidePath = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(lockPath, asidePath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    if (readText(asidePath) !== judgedText) fs.linkSync(asidePath, lockPath);
  } catch (error) {
    // EEXIST: a third process locked meanwhile; its lock stands.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    fs.rmSync(asidePath, { force: true });
  }
}

function heldLock(lockPath: string, info: LockInfo): SessionLock {
  const release = (): void => {
    const text = readText(lockPath);
    if (text === undefined) return;
    try {
      if ((JSON.parse(text) as LockInfo).token !== info.token) return;
    } catch {
      return;
    }
    fs.rmSync(lockPath, { force: true });
  };
  return { path: lockPath, info, release, [Symbol.dispose]: release };
}

function readText(filePath: string): string | undefined {
  try {
    return fs.readFileSync(filePath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function modifiedAtMs(filePath: string): number {
  try {
    return fs.statSync(filePath).mtimeMs;
  } catch {
    return 0;
  }
}
