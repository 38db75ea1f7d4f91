/**
 * Runs one shell task as seclab runs it: `bash <file>` on the `run` text written to a
 * temporary file (no `-e`: a failing command in the middle does not stop the script; its
 * exit status decides), in its own process group, with exactly the given environment, a
 * bounded stdout and the task `timeout`. Never retried (scripts may have side effects);
 * process.env is never touched.
 */
import { randomUUID } from 'node:crypto';
import { rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatDuration } from '../duration.js';
import { TaskflowError, errorMessage } from '../errors.js';
import { tailLines } from '../text-preview.js';
import { OUTPUT_TAIL_LINES, OutputLineCollector } from '../toolbox/output-line-collector.js';
import { MAX_TIMER_MS } from '../resilience/clock.js';
import { settleWithin } from '../toolbox/settle-within.js';
import { BoundedOutputBuffer, describeByteSize } from './bounded-output-buffer.js';
import { forgetScriptFile, trackScriptFile } from './shell-script-files.js';
import { ShellProcessGroup } from './shell-process-group.js';
import type { ShellExit } from './shell-process-group.js';

export interface ShellTaskInput {
  /** The task's `run` text, used verbatim (not templated). */
  script: string;
  /** The complete environment of bash (already filtered by the caller); nothing is merged in. */
  environment: Readonly<Record<string, string>>;
  workingDirectory: string;
  /** The task `timeout`; none when undefined. */
  timeoutMs?: number;
  /** Root cancellation. */
  signal?: AbortSignal;
  /** Default `DEFAULT_MAX_STDOUT_BYTES`. */
  maxStdoutBytes?: number;
  /** Each non-blank stderr line as it arrives (the caller logs it). */
  onStderrLine?: (line: string) => void;
  /** Where the script file is written; default `os.tmpdir()`. */
  tempDirectory?: string;
}

export interface ShellTaskResult {
  /** Everything the script wrote to stdout, decoded as UTF-8. */
  stdout: string;
  exitCode: number;
  durationMs: number;
  /** The last non-blank stderr lines, oldest first (STDERR_TAIL_LIMITS). */
  stderrTail: string[];
}

export const DEFAULT_MAX_STDOUT_BYTES = 10 * 1024 * 1024;
/**
 * The stderr tail kept for a failure (shown in every output mode, the step summary and
 * `sessions show`): enough to see the error, small enough for a terminal and a journal.
 */
export const STDERR_TAIL_LIMITS = { maxLines: OUTPUT_TAIL_LINES, maxBytes: 4096 } as const;
/** From SIGTERM to SIGKILL of the group on timeout, cancellation or oversized output. */
export const SHELL_KILL_GRACE_MS = 2000;
/** After a normal exit, how long background writers may keep the pipes open. */
const LINGER_AFTER_EXIT_MS = 100;

type StopReason = 'output-too-large' | 'timeout' | 'cancelled';

/**
 * Runs `input.script` and resolves with its stdout when it exits with code 0. The group is
 * stopped (SIGTERM, SIGKILL after `SHELL_KILL_GRACE_MS`) on timeout, abort or oversized
 * output, and anything the script left in the background is stopped when it ends. The
 * script file is removed in every case.
 *
 * @throws TaskflowError 'shell-failed' on a non-zero exit, death by signal, stdout over the
 *   limit, or when bash cannot be started; `details` holds the stderr tail
 * @throws TaskflowError 'task-failed' when `timeoutMs` expires
 * @throws TaskflowError 'cancelled' when `signal` aborts (within about the grace period); its
 *   `details` hold the stderr tail too (a task timeout shows it)
 */
export async function runShellTask(input: ShellTaskInput): Promise<ShellTaskResult> {
  if (input.signal?.aborted === true) throw cancelledError(input.signal);
  const scriptPath = await writeScriptFile(input.script, input.tempDirectory ?? tmpdir());
  // Removed below, or by the CLI's exit handler when the runner exits before that.
  trackScriptFile(scriptPath);
  try {
    return await runScriptFile(scriptPath, input);
  } finally {
    await rm(scriptPath, { force: true });
    forgetScriptFile(scriptPath);
  }
}

async function runScriptFile(scriptPath: string, input: ShellTaskInput): Promise<ShellTaskResult> {
  const maxStdoutBytes = input.maxStdoutBytes ?? DEFAULT_MAX_STDOUT_BYTES;
  const stdout = new BoundedOutputBuffer(maxStdoutBytes);
  const stderr = new OutputLineCollector((line) => input.onStderrLine?.(line), OUTPUT_TAIL_LINES);
  const startedAt = performance.now();
  const group = await startBash(scriptPath, input);

  let stopReason: StopReason | undefined;
  const stopFor = (reason: StopReason): void => {
    if (stopReason !== undefined) return;
    stopReason = reason;
    void group.stop(SHELL_KILL_GRACE_MS);
  };
  group.stdout.on('data', (chunk: Buffer) => {
    if (!stdout.append(chunk)) stopFor('output-too-large');
  });
  group.stderr.on('data', (chunk: Buffer) => stderr.write(chunk));

  const signal = input.signal;
  const onAbort = (): void => stopFor('cancelled');
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted === true) onAbort();
  const timer =
    input.timeoutMs === undefined
      ? undefined
      : setTimeout(() => stopFor('timeout'), Math.min(Math.max(0, input.timeoutMs), MAX_TIMER_MS));

  let exit: ShellExit;
  let reason: StopReason | undefined;
  try {
    exit = await group.exited;
    reason = stopReason;
    if (reason === undefined) await settleWithin(group.finished, LINGER_AFTER_EXIT_MS);
    await group.stop(SHELL_KILL_GRACE_MS);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
  stderr.flush();
  const stderrTail = tailLines(stderr.tail(), STDERR_TAIL_LIMITS);
  const durationMs = Math.round(performance.now() - startedAt);

  switch (reason) {
    case 'cancelled':
      throw cancelledError(signal, stderrTail);
    case 'timeout':
      throw new TaskflowError(
        'task-failed',
        `shell task timed out after ${formatDuration(input.timeoutMs ?? 0)}`,
        { details: stderrTail },
      );
    case 'output-too-large':
      throw new TaskflowError(
        'shell-failed',
        `shell task output exceeded ${describeByteSize(maxStdoutBytes)}; ` +
          'write large data to a file and pass its path instead',
        { details: stderrTail },
      );
    case undefined:
      break;
  }
  if (exit.code !== 0) {
    const how =
      exit.signal === null
        ? `exited with code ${String(exit.code)}`
        : `was killed by ${exit.signal}`;
    throw new TaskflowError('shell-failed', `shell task ${how}`, { details: stderrTail });
  }
  return { stdout: stdout.text(), exitCode: 0, durationMs, stderrTail };
}

/** Writes the script where only we can read it; the random name never collides. */
async function writeScriptFile(script: string, tempDirectory: string): Promise<string> {
  const scriptPath = path.join(tempDirectory, `taskflow-shell-${randomUUID()}.sh`);
  try {
    await writeFile(scriptPath, script, { encoding: 'utf8', mode: 0o600, flag: 'wx' });
  } catch (error) {
    throw new TaskflowError(
      'io',
      `cannot write the shell task script to ${tempDirectory}: ${errorMessage(error)}`,
      { cause: error, filePath: scriptPath },
    );
  }
  return scriptPath;
}

async function startBash(scriptPath: string, input: ShellTaskInput): Promise<ShellProcessGroup> {
  try {
    return await ShellProcessGroup.start({
      command: 'bash',
      args: [scriptPath],
      workingDirectory: input.workingDirectory,
      environment: input.environment,
    });
  } catch (error) {
    throw new TaskflowError('shell-failed', await describeStartFailure(error, input), {
      cause: error,
    });
  }
}

async function describeStartFailure(error: unknown, input: ShellTaskInput): Promise<string> {
  const code = (error as NodeJS.ErrnoException).code;
  // Node reports a missing cwd and a missing program with the same ENOENT.
  const isDirectory = await stat(input.workingDirectory).then(
    (stats) => stats.isDirectory(),
    () => false,
  );
  if (!isDirectory) return `shell task working directory does not exist: ${input.workingDirectory}`;
  if (code === 'ENOENT') {
    const searched = input.environment.PATH;
    const where = searched === undefined ? 'PATH is not set' : `searched PATH ${searched}`;
    return `bash not found: it is needed to run shell tasks (${where})`;
  }
  return `cannot start bash for the shell task: ${errorMessage(error)}`;
}

function cancelledError(signal: AbortSignal | undefined, stderrTail: string[] = []): TaskflowError {
  return new TaskflowError('cancelled', 'shell task cancelled', {
    cause: signal?.reason,
    details: stderrTail,
  });
}
