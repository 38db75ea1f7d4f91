import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * A real `redis-server` for one test: a free loopback port, a fresh temporary directory,
 * no persistence. Callers stop it in `afterEach` (or a `finally`) so a failing test leaves
 * neither a process nor a directory behind; servers still running when the test process
 * exits are killed and their directories removed then.
 *
 * A missing `redis-server` fails the test (it is the one prerequisite of the queue tests;
 * `.ci/run` installs it), it is never a skip.
 */
export interface RedisServer {
  /** `redis://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** Its working directory (removed by `stop`). */
  readonly dir: string;
  readonly pid: number;
  /** SIGTERM, wait for the exit (SIGKILL after a while), remove `dir`. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL and wait for the exit, to simulate Redis lost; `dir` stays until `stop`. */
  kill(): Promise<void>;
}

export interface RedisServerOptions {
  /** The executable; default `redis-server` from PATH. */
  readonly binary?: string;
}

const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const PORT_ATTEMPTS = 5;
const OUTPUT_KEPT = 4000;

/** Servers not stopped yet: killed (and their directories removed) when the process exits. */
const running = new Set<{ child: ChildProcess; dir: string }>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const { child, dir } of running) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** A port nobody listens on right now (someone may take it before redis does: we retry). */
async function freeLoopbackPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port from listen(0)');
  return address.port;
}

/** Sends an inline PING; true when the answer is `+PONG`. */
function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('utf8');
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (exited(child)) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

type Attempt =
  | { readonly ok: true; readonly child: ChildProcess }
  | { readonly ok: false; readonly portTaken: boolean; readonly message: string };

async function startOnce(binary: string, port: number, dir: string): Promise<Attempt> {
  const args = [
    ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir],
    ...['--save', '', '--appendonly', 'no', '--daemonize', 'no', '--logfile', ''],
  ];
  const child = spawn(binary, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_KEPT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const spawnError = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (error) => resolve(error));
  });
  if (spawnError !== undefined) {
    const missing = (spawnError as NodeJS.ErrnoException).code === 'ENOENT';
    const message = missing
      ? `${binary} not found (${spawnError.message}): install redis-server ` +
        '(Debian: apt-get install redis-server) to run the queue tests'
      : `${binary} could not be started: ${spawnError.message}`;
    return { ok: false, portTaken: false, message };
  }
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited(child)) {
      const portTaken = /address already in use/i.test(output);
      const status = child.exitCode ?? child.signalCode;
      const message = `${binary} exited (${status}) before answering PING: ${output.trim()}`;
      return { ok: false, portTaken, message };
    }
    if (await pingOnce(port)) return { ok: true, child };
    await delay(20);
  }
  child.kill('SIGKILL');
  await waitForExit(child);
  const message = `${binary} did not answer PING on port ${port} within ${READY_TIMEOUT_MS} ms: ${output.trim()}`;
  return { ok: false, portTaken: false, message };
}

/** Starts a `redis-server` on a free loopback port; rejects (never skips) when it cannot. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = options.binary ?? 'redis-server';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-redis-'));
  let last = '';
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt += 1) {
    const port = await freeLoopbackPort();
    const result = await startOnce(binary, port, dir);
    if (result.ok) return track(result.child, port, dir);
    last = result.message;
    if (!result.portTaken) break;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  throw new Error(last);
}

function track(child: ChildProcess, port: number, dir: string): RedisServer {
  // Spawned (the 'spawn' event came), so it has a pid.
  const pid = child.pid ?? 0;
  installExitHook();
  const entry = { child, dir };
  running.add(entry);
  let stopping: Promise<void> | undefined;
  const stop = async () => {
    if (!exited(child)) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await waitForExit(child);
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    running.delete(entry);
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    pid,
    stop: () => (stopping ??= stop()),
    kill: async () => {
      if (!exited(child)) child.kill('SIGKILL');
      await waitForExit(child);
    },
  };
}
