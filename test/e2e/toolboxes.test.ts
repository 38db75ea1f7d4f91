import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  startFakeModelServer,
  toolResultsOf,
  type FakeModelServer,
  type FakeReply,
  type RecordedRequest,
} from '../fakes/fake-model-server.js';
import { makeSandbox, runCli, spawnCli, type CliOptions, type CliResult } from './cli-harness.js';

/**
 * MCP toolboxes end to end (execution.md "MCP toolboxes", "Task environment"): the built
 * CLI runs `taskflow ask` against the fake model server with real MCP servers. Process
 * checks read /proc (Linux), where the runner's servers are children of the CLI process.
 */

const STACK_LINE = /^\s+at /m;

let server: FakeModelServer;
let sandbox: string;
/** Server pids a test saw; SIGKILLed afterwards so a failing test leaves nothing running. */
const pidsToReap: number[] = [];

beforeEach(async () => {
  server = await startFakeModelServer();
  sandbox = makeSandbox();
});
afterEach(async () => {
  for (const pid of pidsToReap.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await server.close();
  fs.rmSync(sandbox, { recursive: true, force: true });
});

/** The state letter of /proc/<pid>/stat; undefined when there is no such process. */
function processState(pid: number): string | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is parenthesised and may itself contain ") ".
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
}

/** Zombies count as gone: this VM's init does not reap re-parented children. */
function isRunning(pid: number): boolean {
  const state = processState(pid);
  return state !== undefined && state !== 'Z' && state !== 'X';
}

/** Running direct children of `parentPid` whose command line contains `needle`. */
function childProcesses(parentPid: number, needle: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent !== parentPid || !isRunning(Number(entry))) continue;
      const commandLine = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (commandLine.includes(needle)) pids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  pidsToReap.push(...pids);
  return pids;
}

/** A TCP port that was free a moment ago. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

interface RunningCli {
  readonly child: ChildProcess;
  readonly result: Promise<CliResult>;
  stdoutSoFar(): string;
}

function startCli(args: readonly string[], options: CliOptions = {}): RunningCli {
  const child = spawnCli(args, sandbox, {
    ...options,
    env: { AI_API_ENDPOINT: server.url, AI_API_TOKEN: 'test-token-toolboxes', ...options.env },
  });
  child.stdin?.end();
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const result = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, result, stdoutSoFar: () => stdout };
}

/** `taskflow ask <personality> <prompt>` to completion, endpoint and token set. */
function ask(
  personality: string,
  prompt: string,
  env: Record<string, string> = {},
): Promise<CliResult> {
  return runCli(['ask', personality, prompt], sandbox, {
    env: { AI_API_ENDPOINT: server.url, AI_API_TOKEN: 'test-token-toolboxes', ...env },
  });
}

/** Tool names the model was offered in a request (chat or responses shape). */
function offeredTools(request: RecordedRequest): string[] {
  const tools = (request.body.tools ?? []) as { name?: string; function?: { name: string } }[];
  return tools.map((tool) => tool.function?.name ?? tool.name ?? '');
}

/** First turn: `calls`; second turn: an answer quoting every tool result. */
function scriptToolTurn(calls: { name: string; arguments: Record<string, unknown> }[]): void {
  server.setHandler((request): FakeReply => {
    const results = toolResultsOf(request);
    if (results.length === 0) return { kind: 'message', toolCalls: calls };
    return {
      kind: 'message',
      text: `Tool results: ${results.map((result) => result.output).join(' | ')}`,
    };
  });
}

describe('toolboxes that work', () => {
  it('launches a streamable HTTP server by command, calls it, and stops it on exit', async () => {
    const port = await freePort();
    let serverPids: number[] = [];
    let cliPid = -1;
    server.setHandler((request): FakeReply => {
      const results = toolResultsOf(request);
      if (results.length > 0) return { kind: 'message', text: `echoed: ${results[0]?.output}` };
      serverPids = childProcesses(cliPid, `--port ${port}`);
      return {
        kind: 'message',
        toolCalls: [{ name: 'echo_streamable__echo_tool', arguments: { message: 'over http' } }],
      };
    });
    const cli = startCli(['ask', 'personalities/streamable_echoer.yaml', 'echo over http'], {
      env: { TASKFLOW_ECHO_PORT: String(port) },
    });
    cliPid = cli.child.pid ?? -1;
    const result = await cli.result;
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('echoed: Tool echo: over http');
    expect(toolResultsOf(server.requests[1]!)).toEqual([
      { callId: expect.any(String) as string, output: 'Tool echo: over http' },
    ]);
    expect(serverPids).toHaveLength(1);
    expect(serverPids.filter(isRunning)).toEqual([]);
  });

  it('runs the npm filesystem server: its read_text_file result reaches the model', async () => {
    const root = fs.realpathSync(fs.mkdtempSync(path.join(sandbox, 'files-')));
    const file = path.join(root, 'notes.txt');
    fs.writeFileSync(file, 'the secret ingredient is cardamom\n');
    scriptToolTurn([{ name: 'filesystem__read_text_file', arguments: { path: file } }]);
    const result = await ask('personalities/file_reader.yaml', 'read notes.txt', {
      FS_ROOT: root,
    });
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.code).toBe(0);
    expect(offeredTools(server.requests[0]!)).toEqual(
      expect.arrayContaining(['filesystem__read_text_file', 'filesystem__list_directory']),
    );
    expect(toolResultsOf(server.requests[1]!)[0]?.output).toContain(
      'the secret ingredient is cardamom',
    );
    expect(result.stdout).toContain('Tool results: the secret ingredient is cardamom');
  });

  it('gives a stdio server its toolbox env and the safe set, never other variables', async () => {
    const names = ['UNRELATED_SECRET', 'VISIBLE', 'PATH', 'DENIED_FROM_TOOLBOX', 'LANG'];
    scriptToolTurn(names.map((name) => ({ name: 'env_probe__echo_env', arguments: { name } })));
    const result = await ask('personalities/env_prober.yaml', 'show the environment', {
      UNRELATED_SECRET: 's3cr3t-value',
      VISIBLE_SOURCE: 'visible-value',
      LANG: 'C.UTF-8',
      TASKFLOW_ENV_DENYLIST: 'DENIED_FROM_TOOLBOX, LANG',
    });
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.code).toBe(0);
    const outputs = toolResultsOf(server.requests[1]!).map((toolResult) => toolResult.output);
    expect(outputs).toHaveLength(names.length);
    const [secret, visible, pathValue, deniedFromToolbox, lang] = outputs;
    expect(secret).toBe('(unset)');
    expect(visible).toBe('visible-value');
    expect(pathValue).toBe(process.env.PATH);
    expect(deniedFromToolbox).toBe('(unset)');
    expect(lang).toBe('(unset)');
    expect(JSON.stringify(server.requests)).not.toContain('s3cr3t-value');
  });

  it('a toolbox listed twice is started once', async () => {
    server.enqueue({ kind: 'message', text: 'nothing to do' });
    const result = await ask('personalities/echoer_twice.yaml', 'hello');
    expect(result.code).toBe(0);
    // seclab's echo server: its one tool, no diagnostic tools.
    expect(offeredTools(server.requests[0]!)).toEqual(['echo__echo_tool']);
  });
});

describe('toolboxes that cannot start', () => {
  it('a missing command fails at once, naming the toolbox and the command', async () => {
    const result = await ask('personalities/broken_command.yaml', 'hello');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('toolbox "missing_command" failed to start');
    expect(result.stderr).toContain('taskflow-e2e-no-such-server --stdio');
    expect(result.stderr).toContain('command not found');
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(server.requests).toHaveLength(0);
  });

  // Three start attempts (resilience.md: 2 more, 5 s and 15 s apart) of 1 s each: ~23 s.
  it(
    'a server that never initializes fails after connect_timeout and leaves no process',
    { timeout: 60_000 },
    async () => {
      const pidFile = path.join(sandbox, 'never-initializes.pid');
      const result = await runCli(['ask', 'personalities/never_ready.yaml', 'hello'], sandbox, {
        env: {
          AI_API_ENDPOINT: server.url,
          AI_API_TOKEN: 'test-token-toolboxes',
          PID_FILE: pidFile,
        },
        timeoutMs: 55_000,
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('toolbox "never_initializes" failed to start within 1s');
      expect(result.stderr).toContain('never-initializes.mjs');
      expect(result.stderr).toContain('waiting for a database that never comes');
      expect(result.stderr).not.toMatch(STACK_LINE);
      expect(server.requests).toHaveLength(0);
      const attempts = fs.readFileSync(pidFile, 'utf8').trim().split('\n');
      expect(attempts).toHaveLength(3);
      const pids = attempts.flatMap((line) => line.split(' ').map(Number));
      pidsToReap.push(...pids);
      expect(pids).toHaveLength(6);
      expect(pids.filter(isRunning)).toEqual([]);
    },
  );
});

describe('Ctrl-C during a tool call', () => {
  it('exits 130 promptly and stops the server', async () => {
    server.setHandler((): FakeReply => ({
      kind: 'message',
      toolCalls: [{ name: 'echo__sleep', arguments: { ms: 30_000 } }],
    }));
    const cli = startCli(['ask', 'personalities/echoer.yaml', 'sleep', '--output', 'jsonl'], {
      env: { TASKFLOW_ECHO_DIAGNOSTICS: '1' },
    });
    const cliPid = cli.child.pid ?? -1;
    const deadline = performance.now() + 15_000;
    while (!cli.stdoutSoFar().includes('"type":"tool-call-start"')) {
      if (performance.now() > deadline) throw new Error('the tool call never started');
      await delay(20);
    }
    const serverPids = childProcesses(cliPid, 'dist/mcp-servers/echo.js');
    expect(serverPids).toHaveLength(1);
    cli.child.kill('SIGINT');
    // The acceptance bound: exit 130 within 2.5 s of the signal.
    const timeout = delay(2500).then(() => 'still running' as const);
    const outcome = await Promise.race([cli.result, timeout]);
    if (outcome === 'still running') cli.child.kill('SIGKILL');
    expect(outcome).not.toBe('still running');
    const result = await cli.result;
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('interrupted');
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(serverPids.filter(isRunning)).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });
});
