import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeAll, beforeEach } from 'vitest';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Absolute path of a built server script, `dist/mcp-servers/<name>.js`.
 * @throws when it is missing, saying how to build it.
 */
export function builtServerPath(name: string): string {
  const path = join(packageRoot, 'dist', 'mcp-servers', `${name}.js`);
  if (!existsSync(path)) {
    throw new Error(
      `${path} is missing: build first with "npx tsc -p tsconfig.build.json" (npm test does)`,
    );
  }
  return path;
}

export interface StdioServerConnection {
  readonly client: Client;
  readonly pid: number;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  close(): Promise<void>;
}

/** Starts a built server over stdio with only PATH plus `environment`, and connects a client. */
export async function connectStdioServer(
  name: string,
  environment: Record<string, string> = {},
): Promise<StdioServerConnection> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [builtServerPath(name)],
    env: { PATH: process.env.PATH ?? '', ...environment },
    stderr: 'pipe',
  });
  let stderrText = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderrText += chunk.toString()));
  const client = new Client({ name: 'taskflow-test', version: '1.0.0' });
  await client.connect(transport);
  const pid = transport.pid;
  if (pid === null) throw new Error(`${name} server has no pid after connecting`);
  return { client, pid, stderr: () => stderrText, close: () => client.close() };
}

export interface StateServerFixture {
  /** The running test's own state folder (fresh before it, removed after it). */
  readonly stateDirectory: string;
  /**
   * (Re)starts the server with its state variable set to `stateDirectory` plus `environment`
   * (which may override it), closing the previous connection first.
   */
  start: (environment?: Record<string, string>) => Promise<StdioServerConnection>;
  /** Calls a tool on the connection `start` made last (see `callText`). */
  call: (name: string, args?: Record<string, unknown>) => Promise<string>;
}

/**
 * Hooks for tests of a built server that keeps state in the folder `stateVariable` names:
 * checks the build once, gives each test a fresh state folder and closes the server and
 * removes the folder after it.
 */
export function useStateServer(name: string, stateVariable: string): StateServerFixture {
  let stateDirectory: string | undefined;
  let connection: StdioServerConnection | undefined;
  beforeAll(() => {
    builtServerPath(name);
  });
  beforeEach(async () => {
    stateDirectory = await mkdtemp(join(tmpdir(), `taskflow-${name}-test-`));
  });
  afterEach(async () => {
    await connection?.close();
    connection = undefined;
    if (stateDirectory !== undefined) await rm(stateDirectory, { recursive: true, force: true });
  });
  const fixture: StateServerFixture = {
    get stateDirectory() {
      if (stateDirectory === undefined) throw new Error('stateDirectory is set per test');
      return stateDirectory;
    },
    start: async (environment = {}) => {
      await connection?.close();
      connection = await connectStdioServer(name, {
        [stateVariable]: fixture.stateDirectory,
        ...environment,
      });
      return connection;
    },
    call: async (tool, args = {}) => {
      if (connection === undefined) throw new Error(`call ${tool}: start the server first`);
      return callText(connection.client, tool, args);
    },
  };
  return fixture;
}

/** The text of a tool result's single text part. */
export function resultText(result: unknown): string {
  const content = (result as CallToolResult).content;
  const first = content[0];
  if (content.length !== 1 || first?.type !== 'text') {
    throw new Error(`expected one text part, got ${JSON.stringify(content)}`);
  }
  return first.text;
}

/** Calls a tool and returns its text, failing on an error result. */
export async function callText(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<string> {
  const result = await client.callTool({ name, arguments: args });
  if (result.isError === true) throw new Error(`${name} failed: ${resultText(result)}`);
  return resultText(result);
}

/** Whether a process with this pid exists (a reaped child no longer does). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Resolves with the exit code and signal once the child has exited. */
export function exitOf(
  child: ChildProcess,
): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Resolves when `pattern` matches the accumulated stderr of the child; rejects if it exits first. */
export function waitForStderr(child: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString();
      const match = pattern.exec(text);
      if (match) {
        child.stderr?.off('data', onData);
        child.off('exit', onExit);
        resolve(match);
      }
    };
    const onExit = (): void =>
      reject(new Error(`server exited before ${pattern}; stderr: ${text}`));
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Spawns a built server directly (no MCP client) with PATH plus `environment`, stdio all piped. */
export function spawnServer(
  name: string,
  args: readonly string[] = [],
  environment: Record<string, string> = {},
): ChildProcess {
  return spawn(process.execPath, [builtServerPath(name), ...args], {
    env: { PATH: process.env.PATH ?? '', ...environment },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}
