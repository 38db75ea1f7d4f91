/**
 * Starts a server process in its own process group and owns it until it is dead: exact
 * environment, output captured line by line, and a bounded group kill.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { TaskflowError, errorMessage } from '../errors.js';
import { OUTPUT_TAIL_LINES, OutputLineCollector } from './output-line-collector.js';
import { settleWithin } from './settle-within.js';
import {
  forgetProcessGroup,
  isProcessGroupAlive,
  registerProcessGroup,
  signalProcessGroup,
} from './process-registry.js';

export interface LaunchSpec {
  toolboxName: string;
  command: string;
  args: readonly string[];
  cwd?: string;
  /** The complete environment of the child; nothing is merged in. */
  env: Readonly<Record<string, string>>;
}

export interface LaunchOptions {
  logger?: (line: string) => void;
  /** Capture stdout as log lines too (HTTP servers); stdio servers speak MCP on it. */
  captureStdout: boolean;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Default for `terminate()`: time from stdin EOF to SIGKILL of the group. */
export const DEFAULT_CLOSE_GRACE_MS = 2000;

/** How long a server may take to exit on stdin EOF before it gets SIGTERM. */
const EOF_EXIT_WAIT_MS = 250;
/** After the leader died, how long grandchildren get to finish before SIGKILL. */
const GROUP_SETTLE_MS = 100;

/** Shell-like rendering of a command line, for messages. */
export function formatCommandLine(command: string, args: readonly string[]): string {
  return [command, ...args]
    .map((part) => (/^[\w@%+=:,./-]+$/.test(part) ? part : `'${part.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}

export class ServerProcess {
  readonly pid: number;
  readonly commandLine: string;
  readonly child: ChildProcessWithoutNullStreams;
  /** Settles when the direct child has exited (never rejects). */
  readonly exited: Promise<ProcessExit>;
  #exit: ProcessExit | undefined;
  readonly #output: OutputLineCollector;
  readonly #drained: Promise<void>;
  #terminating: Promise<void> | undefined;

  constructor(
    child: ChildProcessWithoutNullStreams,
    commandLine: string,
    output: OutputLineCollector,
    captureStdout: boolean,
  ) {
    if (child.pid === undefined) throw new TaskflowError('internal', 'child has no pid');
    this.pid = child.pid;
    this.child = child;
    this.commandLine = commandLine;
    this.#output = output;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
    });
    const streams = captureStdout ? [child.stderr, child.stdout] : [child.stderr];
    for (const stream of streams) stream.on('data', (chunk: Buffer) => output.write(chunk));
    this.#drained = Promise.all(
      streams.map(
        (stream) =>
          new Promise<void>((resolve) => {
            stream.once('close', resolve);
            stream.once('end', resolve);
          }),
      ),
    ).then(() => output.flush());
  }

  /** Undefined while the direct child runs. */
  get exit(): ProcessExit | undefined {
    return this.#exit;
  }

  stderrTail(): string[] {
    return this.#output.tail();
  }

  /** Waits (at most `timeoutMs`) for captured output to end, so a tail is complete. */
  async outputDrained(timeoutMs: number): Promise<void> {
    await settleWithin(this.#drained, timeoutMs);
  }

  /** "exited with code 1" / "was killed by SIGKILL"; empty while running. */
  describeExit(): string {
    if (this.#exit === undefined) return '';
    if (this.#exit.signal !== null) return `server was killed by ${this.#exit.signal}`;
    return `server exited with code ${String(this.#exit.code)}`;
  }

  /**
   * Stops the whole process group: stdin EOF, SIGTERM, SIGKILL once `graceMs` has passed
   * (or the leader is gone). Idempotent; resolves within about `graceMs` + 1 s; never throws.
   */
  terminate(graceMs = DEFAULT_CLOSE_GRACE_MS): Promise<void> {
    this.#terminating ??= this.#terminate(Math.max(0, graceMs));
    return this.#terminating;
  }

  async #terminate(graceMs: number): Promise<void> {
    const deadline = Date.now() + graceMs;
    const untilDeadline = (): number => Math.max(0, deadline - Date.now());
    const waitForExit = (timeoutMs: number): Promise<boolean> =>
      settleWithin(this.exited, timeoutMs);
    this.child.stdin.end();
    if (this.#exit === undefined) await waitForExit(Math.min(EOF_EXIT_WAIT_MS, graceMs / 2));
    signalProcessGroup(this.pid, 'SIGTERM');
    if (this.#exit === undefined) await waitForExit(untilDeadline());
    // The leader is gone; grandchildren get a moment of their own. Zombies count as alive
    // (not every init reaps them), so this wait is short and SIGKILL follows regardless.
    const settleUntil = Date.now() + Math.min(GROUP_SETTLE_MS, untilDeadline());
    while (Date.now() < settleUntil && isProcessGroupAlive(this.pid)) {
      await delay(20);
    }
    signalProcessGroup(this.pid, 'SIGKILL');
    if (this.#exit === undefined) await waitForExit(1000);
    forgetProcessGroup(this.pid);
    // Escaped grandchildren may still hold the pipes; they must not keep the runner alive.
    for (const stream of [this.child.stdin, this.child.stdout, this.child.stderr]) {
      stream.destroy();
    }
    this.child.unref();
  }
}

/**
 * Spawns `spec.command` detached (its own process group) with piped stdio and registers
 * the group for `killAllToolboxProcesses`. Resolves once the process runs.
 *
 * @throws TaskflowError 'toolbox-start' when the program cannot be started (ENOENT, EACCES)
 */
export async function launchServerProcess(
  spec: LaunchSpec,
  options: LaunchOptions,
): Promise<ServerProcess> {
  const commandLine = formatCommandLine(spec.command, spec.args);
  const logger = options.logger;
  // An HTTP server's stdout is captured too: the markers then speak of its output.
  const output = new OutputLineCollector(
    (line) => logger?.(`[${spec.toolboxName}] ${line}`),
    OUTPUT_TAIL_LINES,
    { streamName: options.captureStdout ? 'output' : 'stderr' },
  );
  let child: ChildProcessWithoutNullStreams;
  try {
    child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: { ...spec.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
      windowsHide: true,
      shell: false,
    });
  } catch (error) {
    throw startError(spec, commandLine, error);
  }
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (error) => reject(startError(spec, commandLine, error)));
  });
  const serverProcess = new ServerProcess(child, commandLine, output, options.captureStdout);
  registerProcessGroup(serverProcess.pid);
  logger?.(`[${spec.toolboxName}] started pid ${serverProcess.pid}: ${commandLine}`);
  // Later errors (a failed kill, EPIPE on stdin) are diagnostics, not crashes.
  child.on('error', (error) => logger?.(`[${spec.toolboxName}] process error: ${error.message}`));
  child.stdin.on('error', (error) => logger?.(`[${spec.toolboxName}] stdin: ${error.message}`));
  void serverProcess.exited.then(() =>
    logger?.(`[${spec.toolboxName}] ${serverProcess.describeExit()}`),
  );
  return serverProcess;
}

function startError(spec: LaunchSpec, commandLine: string, error: unknown): TaskflowError {
  const code = (error as NodeJS.ErrnoException).code;
  let reason = errorMessage(error);
  if (code === 'ENOENT' && spec.cwd !== undefined && !existsSync(spec.cwd)) {
    reason = `working directory does not exist: ${spec.cwd}`;
  } else if (code === 'ENOENT') {
    reason = `command not found: ${spec.command} (searched PATH of the server environment)`;
  } else if (code === 'EACCES') {
    reason = `command is not executable: ${spec.command}`;
  }
  return new TaskflowError(
    'toolbox-start',
    `toolbox "${spec.toolboxName}" failed to start: ${commandLine}: ${reason}`,
    { toolbox: spec.toolboxName, cause: error },
  );
}
