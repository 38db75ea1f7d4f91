/**
 * A shell task's process, started as the leader of its own process group so that a stop
 * reaches everything the script started (`sleep 100 &` included). The group is registered
 * in the process registry until it is stopped, so a crashing runner kills it too.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { settleWithin } from '../toolbox/settle-within.js';
import {
  forgetProcessGroup,
  isProcessGroupAlive,
  registerProcessGroup,
  signalProcessGroup,
} from '../toolbox/process-registry.js';

export interface ShellExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ShellSpawnSpec {
  command: string;
  args: readonly string[];
  workingDirectory: string;
  /** The complete environment; nothing is merged in. */
  environment: Readonly<Record<string, string>>;
}

/** After SIGKILL, how long to wait for the exit and the pipes before giving up on them. */
const AFTER_KILL_WAIT_MS = 1000;

type ShellChild = ChildProcessByStdio<null, Readable, Readable>;

export class ShellProcessGroup {
  /** The leader's pid, which is also the process group id. */
  readonly pid: number;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Settles when the leader has exited (never rejects). */
  readonly exited: Promise<ShellExit>;
  /** Settles when the leader has exited and nothing holds stdout/stderr open any more. */
  readonly finished: Promise<void>;
  readonly #child: ShellChild;
  #stopping: Promise<void> | undefined;

  private constructor(child: ShellChild, pid: number, exited: Promise<ShellExit>) {
    this.#child = child;
    this.pid = pid;
    this.stdout = child.stdout;
    this.stderr = child.stderr;
    this.exited = exited;
    const closed = (stream: Readable): Promise<void> =>
      new Promise((resolve) => {
        if (stream.closed) resolve();
        stream.once('close', () => resolve());
      });
    this.finished = Promise.all([exited, closed(child.stdout), closed(child.stderr)]).then(
      () => undefined,
    );
  }

  /**
   * Spawns `spec.command` detached with stdin ignored and stdout/stderr piped (paused until
   * the caller reads them), and registers its group.
   *
   * @throws the spawn error as Node reports it (ENOENT, EACCES, ...); the caller words it
   */
  static async start(spec: ShellSpawnSpec): Promise<ShellProcessGroup> {
    const child = spawn(spec.command, [...spec.args], {
      cwd: spec.workingDirectory,
      env: { ...spec.environment },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
      windowsHide: true,
      shell: false,
    });
    // Listen before the first await so a very short script cannot exit unobserved.
    const exited = new Promise<ShellExit>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', reject);
    });
    if (child.pid === undefined) throw new Error('spawned process has no pid');
    // A failed kill after start is not worth a crash; the outcome is read from 'exit'.
    child.on('error', () => undefined);
    registerProcessGroup(child.pid);
    return new ShellProcessGroup(child, child.pid, exited);
  }

  /**
   * Stops the whole group: SIGTERM, SIGKILL once `graceMs` has passed without the leader
   * exiting and the pipes closing, then forgets the group. Also used after a normal exit
   * to end what the script left running in the background. Idempotent; resolves within
   * about `graceMs` + 1 s; never throws.
   */
  stop(graceMs: number): Promise<void> {
    this.#stopping ??= this.#stop(Math.max(0, graceMs));
    return this.#stopping;
  }

  async #stop(graceMs: number): Promise<void> {
    if (isProcessGroupAlive(this.pid)) {
      signalProcessGroup(this.pid, 'SIGTERM');
      await settleWithin(this.finished, graceMs);
    }
    // Members that ignore SIGTERM or closed their pipes are not covered by `finished`.
    if (isProcessGroupAlive(this.pid)) {
      signalProcessGroup(this.pid, 'SIGKILL');
      await settleWithin(this.finished, AFTER_KILL_WAIT_MS);
    }
    forgetProcessGroup(this.pid);
    // A process that left the group (setsid) may still hold the pipes; it must not keep
    // the runner waiting or alive.
    this.#child.stdout.destroy();
    this.#child.stderr.destroy();
    this.#child.unref();
  }
}
