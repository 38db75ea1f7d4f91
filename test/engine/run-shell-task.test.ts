import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TaskflowError } from '../../src/errors.js';
import { describeByteSize } from '../../src/engine/bounded-output-buffer.js';
import {
  DEFAULT_MAX_STDOUT_BYTES,
  runShellTask,
  type ShellTaskInput,
} from '../../src/engine/run-shell-task.js';
import { liveToolboxProcessGroups } from '../../src/toolbox/process-registry.js';

const PATH = process.env.PATH ?? '/usr/bin:/bin';

let scratch: string;
let tempDirectory: string;

beforeEach(async () => {
  scratch = await realpath(await mkdtemp(path.join(tmpdir(), 'shell-task-test-')));
  tempDirectory = path.join(scratch, 'tmp');
  await mkdir(tempDirectory);
});

afterEach(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function run(script: string, extra: Partial<ShellTaskInput> = {}): ReturnType<typeof runShellTask> {
  return runShellTask({
    script,
    environment: { PATH },
    workingDirectory: scratch,
    tempDirectory,
    ...extra,
  });
}

async function failure(promise: Promise<unknown>): Promise<TaskflowError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(TaskflowError);
  return error as TaskflowError;
}

/** Zombies count as gone: they are dead, only not yet reaped by whatever init runs here. */
function isRunning(pid: number): boolean {
  const statPath = `/proc/${pid}/stat`;
  if (existsSync('/proc/self/stat')) {
    if (!existsSync(statPath)) return false;
    try {
      const stat = readFileSync(statPath, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A SIGKILLed process that held no pipe of ours may take a moment to die. */
async function isGoneSoon(pid: number): Promise<boolean> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    if (!isRunning(pid)) return true;
    await delay(20);
  }
  return false;
}

/** Pids the script wrote to `file`, one per line, once `count` are there. */
async function pidsFrom(file: string, count: number): Promise<number[]> {
  for (;;) {
    const text = await readFile(file, 'utf8').catch(() => '');
    const pids = text.split('\n').filter((line) => line !== '');
    if (pids.length >= count) return pids.map(Number);
    await delay(20);
  }
}

describe('runShellTask', () => {
  it('returns stdout exactly, including JSON and a trailing newline', async () => {
    const json = '{"items": [1, 2], "name": "caf\u00e9 \u2713", "quote": "a\\"b"}';
    const result = await run(`printf '%s\\n' '${json}'\nprintf 'no newline'`);
    expect(result.stdout).toBe(`${json}\nno newline`);
    expect(JSON.parse(result.stdout.split('\n')[0] ?? '')).toEqual({
      items: [1, 2],
      name: 'caf\u00e9 \u2713',
      quote: 'a"b',
    });
    expect(result.exitCode).toBe(0);
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(result.stderrTail).toEqual([]);
  });

  it('gives bash exactly the environment passed, nothing from process.env', async () => {
    expect(process.env.VITEST).toBeDefined();
    const result = await run('printf "%s\\n" "${VITEST-absent}" "$GREETING"\nenv', {
      environment: { PATH, GREETING: 'hello world' },
    });
    const [vitest, greeting, ...envLines] = result.stdout.trimEnd().split('\n');
    expect(vitest).toBe('absent');
    expect(greeting).toBe('hello world');
    const names = new Set(envLines.map((line) => line.slice(0, line.indexOf('='))));
    // bash itself exports PWD, SHLVL and `_`.
    for (const name of names) expect(['PATH', 'GREETING', 'PWD', 'SHLVL', '_']).toContain(name);
    expect(names).toContain('GREETING');
  });

  it('runs in the working directory from a private script file that is removed afterwards', async () => {
    const result = await run('pwd\nstat -c %a "$0"\ndirname "$0"');
    expect(result.stdout.split('\n').slice(0, 3)).toEqual([scratch, '600', tempDirectory]);
    expect(await readdir(tempDirectory)).toEqual([]);

    await failure(run('exit 4'));
    expect(await readdir(tempDirectory)).toEqual([]);
  });

  // Was "stops at the first failing command (bash -e)": seclab runs `bash <file>` without
  // -e, so a failing command in the middle does not end the script (issue 9).
  it('runs past a failing command like seclab (no -e): only the exit status decides', async () => {
    const result = await run('echo started\n(exit 7)\necho "still running"');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('started\nstill running\n');
  });

  it('fails with the script’s exit code and stderr tail', async () => {
    const lines: string[] = [];
    const error = await failure(
      run('echo started\necho "about to fail" >&2\n(exit 3)\nexit 7\necho never >&2', {
        onStderrLine: (line) => lines.push(line),
      }),
    );
    expect(error.code).toBe('shell-failed');
    expect(error.message).toBe('shell task exited with code 7');
    expect(error.details).toEqual(['about to fail']);
    expect(lines).toEqual(['about to fail']);
  });

  it('reports death by signal', async () => {
    const error = await failure(run('kill -KILL $$'));
    expect(error.code).toBe('shell-failed');
    expect(error.message).toBe('shell task was killed by SIGKILL');
  });

  it('streams stderr lines and keeps the last 20', async () => {
    const lines: string[] = [];
    const result = await run('for i in $(seq 1 25); do echo "line $i" >&2; done\necho done', {
      onStderrLine: (line) => lines.push(line),
    });
    expect(result.stdout).toBe('done\n');
    expect(lines).toHaveLength(25);
    expect(lines[0]).toBe('line 1');
    expect(result.stderrTail).toHaveLength(20);
    expect(result.stderrTail[0]).toBe('line 6');
    expect(result.stderrTail.at(-1)).toBe('line 25');
  });

  it('bounds the stderr tail of a failure to 4 KB, newest lines first', async () => {
    // 20 lines of 1000 characters: the line limit alone would keep all of them (20 KB).
    const error = await failure(
      run('for i in $(seq 1 20); do printf "%04d%0996d\\n" $i 0 >&2; done\nexit 1'),
    );
    const bytes = error.details.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0);
    expect(bytes).toBeLessThanOrEqual(4096);
    expect(error.details.length).toBeGreaterThanOrEqual(3);
    expect(error.details.at(-1)?.startsWith('0020')).toBe(true);
    // Whole lines only, except that a single oversized newest line is cut with …
    for (const line of error.details) expect(line).toHaveLength(1000);
  });

  it('keeps the stderr tail when cancelled (a task timeout shows it)', async () => {
    const controller = new AbortController();
    const pending = run('echo "warming up" >&2\nsleep 30', {
      signal: controller.signal,
      // Cancelled once the line was read, as a timeout during a long step would be.
      onStderrLine: () => controller.abort(),
    });
    const error = await failure(pending);
    expect(error.code).toBe('cancelled');
    expect(error.details).toEqual(['warming up']);
  });

  it('fails on stdout over the limit and stops the script', async () => {
    const pidFile = path.join(scratch, 'pids');
    const exact = await run('head -c 1000 /dev/zero | tr "\\0" a', { maxStdoutBytes: 1000 });
    expect(exact.stdout).toBe('a'.repeat(1000));

    const error = await failure(
      run(`echo $$ > ${pidFile}\nhead -c 5000 /dev/zero | tr "\\0" a\nsleep 30`, {
        maxStdoutBytes: 1000,
      }),
    );
    expect(error.code).toBe('shell-failed');
    expect(error.message).toBe(
      'shell task output exceeded 1000 bytes; write large data to a file and pass its path instead',
    );
    const [leader] = await pidsFrom(pidFile, 1);
    expect(isRunning(leader ?? 0)).toBe(false);
  });

  it('limits stdout to 10 MB by default', async () => {
    expect(DEFAULT_MAX_STDOUT_BYTES).toBe(10 * 1024 * 1024);
    expect(describeByteSize(DEFAULT_MAX_STDOUT_BYTES)).toBe('10 MB');
    const error = await failure(run('head -c 11534336 /dev/zero'));
    expect(error.message).toMatch(/^shell task output exceeded 10 MB; write large data to a file/);
  });

  it('times out, failing the task and killing the whole process group', async () => {
    const pidFile = path.join(scratch, 'pids');
    const error = await failure(
      run(`echo $$ > ${pidFile}\nsleep 30 &\necho $! >> ${pidFile}\nsleep 30`, {
        timeoutMs: 300,
      }),
    );
    expect(error.code).toBe('task-failed');
    expect(error.message).toBe('shell task timed out after 300ms');
    const pids = await pidsFrom(pidFile, 2);
    for (const pid of pids) expect(isRunning(pid)).toBe(false);
    expect(liveToolboxProcessGroups()).not.toContain(pids[0]);
    expect(await readdir(tempDirectory)).toEqual([]);
  });

  it('cancels promptly on abort even when the script ignores SIGTERM', async () => {
    const pidFile = path.join(scratch, 'pids');
    const controller = new AbortController();
    const running = failure(
      run(`trap '' TERM\necho $$ > ${pidFile}\nsleep 30 &\necho $! >> ${pidFile}\nsleep 30`, {
        signal: controller.signal,
      }),
    );
    const pids = await pidsFrom(pidFile, 2);
    expect(liveToolboxProcessGroups()).toContain(pids[0]);
    const abortedAt = Date.now();
    controller.abort(new Error('user pressed Ctrl-C'));
    const error = await running;
    expect(Date.now() - abortedAt).toBeLessThan(2500);
    expect(error.code).toBe('cancelled');
    for (const pid of pids) expect(isRunning(pid)).toBe(false);
    expect(liveToolboxProcessGroups()).not.toContain(pids[0]);
    expect(await readdir(tempDirectory)).toEqual([]);
  });

  it('does not start when already cancelled', async () => {
    const marker = path.join(scratch, 'ran');
    const error = await failure(run(`touch ${marker}`, { signal: AbortSignal.abort() }));
    expect(error.code).toBe('cancelled');
    expect(existsSync(marker)).toBe(false);
    expect(await readdir(tempDirectory)).toEqual([]);
  });

  it('stops what the script left running in the background when it ends', async () => {
    const pidFile = path.join(scratch, 'pids');
    const result = await run(`sleep 30 >/dev/null 2>&1 &\necho $! > ${pidFile}\necho ok`);
    expect(result.stdout).toBe('ok\n');
    const [background] = await pidsFrom(pidFile, 1);
    expect(await isGoneSoon(background ?? 0)).toBe(true);
  });

  it('explains a missing bash and a missing working directory', async () => {
    const noBash = await failure(run('true', { environment: { PATH: '/nonexistent' } }));
    expect(noBash.code).toBe('shell-failed');
    expect(noBash.message).toMatch(/^bash not found/);
    expect(await readdir(tempDirectory)).toEqual([]);

    const missing = path.join(scratch, 'missing');
    const noDirectory = await failure(run('true', { workingDirectory: missing }));
    expect(noDirectory.code).toBe('shell-failed');
    expect(noDirectory.message).toBe(`shell task working directory does not exist: ${missing}`);
  });
});
