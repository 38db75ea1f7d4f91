/** Shared set-up for the toolbox tests: real server processes, liveness probes. */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { buildServerEnvironment } from '../../src/toolbox/build-server-environment.js';
import { liveToolboxProcessGroups } from '../../src/toolbox/process-registry.js';
import type { ResolvedToolbox } from '../../src/toolbox/types.js';

export const FIXTURE_DIRECTORY = fileURLToPath(new URL('../fixtures/mcp/', import.meta.url));
const PACKAGES = fileURLToPath(
  new URL('../../node_modules/@modelcontextprotocol/', import.meta.url),
);
export const EVERYTHING_SERVER = `${PACKAGES}server-everything/dist/index.js`;
export const FILESYSTEM_SERVER = `${PACKAGES}server-filesystem/dist/index.js`;

export function fixture(name: string): string {
  return `${FIXTURE_DIRECTORY}${name}`;
}

/** A stdio toolbox running `node <args>` with the safe environment plus `env`. */
export function nodeToolbox(
  name: string,
  args: string[],
  overrides: Partial<ResolvedToolbox> & { extraEnv?: Record<string, string> } = {},
): ResolvedToolbox {
  const { extraEnv = {}, ...rest } = overrides;
  return {
    name,
    kind: 'stdio',
    command: process.execPath,
    args,
    env: buildServerEnvironment(process.env, extraEnv, []),
    headers: {},
    timeoutMs: 10_000,
    connectTimeoutMs: 10_000,
    confirm: [],
    ...rest,
  };
}

/**
 * True while `pid` runs. A zombie counts as dead: it has exited, and in some containers
 * nothing reaps orphans, so `kill(pid, 0)` alone would keep seeing it.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (process.platform !== 'linux') return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Polls `predicate` every 20 ms; throws after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Process groups registered since `before` (a snapshot of `liveToolboxProcessGroups`). */
export function newProcessGroups(before: readonly number[]): number[] {
  return liveToolboxProcessGroups().filter((groupId) => !before.includes(groupId));
}

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function readPid(path: string): number {
  return Number(readFileSync(path, 'utf8'));
}

/** Built by `npx tsc -p tsconfig.build.json`. */
export const ECHO_SERVER = fileURLToPath(
  new URL('../../dist/mcp-servers/echo.js', import.meta.url),
);

/** The bundled echo server with its resilience diagnostics (`write_marker`, `crash`, ...). */
export function diagnosticEcho(
  name = 'echo',
  overrides: Partial<ResolvedToolbox> & { extraEnv?: Record<string, string> } = {},
): ResolvedToolbox {
  const { extraEnv = {}, ...rest } = overrides;
  return nodeToolbox(name, [ECHO_SERVER], {
    extraEnv: { TASKFLOW_ECHO_RESILIENCE_TOOLS: '1', ...extraEnv },
    ...rest,
  });
}

/** The pids written by the marker tools, one per execution ([] when there is no file). */
export function markerLines(path: string): number[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter(Boolean).map(Number);
}
