import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Helpers to spawn the BUILT CLI as a user would (`npm test` builds first). */

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = path.join(REPO_ROOT, 'bin/taskflow.js');
export const E2E_FIXTURES = path.join(REPO_ROOT, 'test/fixtures/e2e');

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly cwd?: string;
  readonly env?: Record<string, string | undefined>;
  readonly timeoutMs?: number;
  readonly input?: string;
}

/** A private state/data dir per test run so logs and sessions never touch the real home. */
export function makeSandbox(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-e2e-'));
}

/** The environment of a spawned CLI: only what a test sets, plus PATH/HOME basics. */
export function cliEnvironment(
  sandbox: string,
  extra: Record<string, string | undefined> = {},
): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: sandbox,
    XDG_STATE_HOME: path.join(sandbox, 'state'),
    XDG_DATA_HOME: path.join(sandbox, 'data'),
    XDG_CONFIG_HOME: path.join(sandbox, 'config'),
    TMPDIR: os.tmpdir(),
    NO_COLOR: '1',
    CI: '1',
    TASKFLOW_SESSION_DIR: path.join(sandbox, 'sessions'),
    MEMCACHE_STATE_DIR: path.join(sandbox, 'memcache'),
    LOGBOOK_STATE_DIR: path.join(sandbox, 'logbook'),
  };
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete environment[key];
    else environment[key] = value;
  }
  return environment;
}

export function spawnCli(
  args: readonly string[],
  sandbox: string,
  options: CliOptions = {},
): ChildProcess {
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist/cli/main.js'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
  }
  return spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? E2E_FIXTURES,
    env: cliEnvironment(sandbox, options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Run the CLI to completion (bounded by timeoutMs, default 30 s). */
export function runCli(
  args: readonly string[],
  sandbox: string,
  options: CliOptions = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, sandbox, options);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdin?.end(options.input ?? '');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `taskflow ${args.join(' ')} did not finish within ${options.timeoutMs ?? 30_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** JSON events printed by `--output jsonl`. */
export function parseJsonl(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
