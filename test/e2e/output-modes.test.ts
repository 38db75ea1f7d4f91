import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  lastUserText,
  startFakeModelServer,
  toolResultsOf,
  type FakeModelServer,
} from '../fakes/fake-model-server.js';
import {
  CLI,
  cliEnvironment,
  E2E_FIXTURES,
  makeSandbox,
  runCli,
  type CliResult,
} from './cli-harness.js';

/**
 * cli.md "Output" end to end on a run with a shell task, a prompt task with a tool call and
 * a repeat_prompt: plain output has no ANSI; tty output on a pseudo-terminal (util-linux
 * `script`) animates the ora spinner and ends with the summary table, and never hangs on a
 * terminal that reports 0 columns.
 */

const FLOW = 'taskflows/full-run.yaml';
const SCRIPT = '/usr/bin/script';
const ESC = '\u001b';
const ANSI = new RegExp(`${ESC}[[\\]()]`);
const COLOUR = new RegExp(`${ESC}\\[\\d+m`, 'g');
const SPINNER_FRAME = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;
const TABLE_HEADER = /#\s+Task\s+Status\s+Duration\s+Tokens\s+Retries/;

let server: FakeModelServer;
let sandbox: string;

beforeEach(async () => {
  server = await startFakeModelServer();
  sandbox = makeSandbox();
  scriptEchoConversation();
});
afterEach(async () => {
  await server.close();
  fs.rmSync(sandbox, { recursive: true, force: true });
});

/**
 * Turn 1 echoes the item named in the prompt, turn 2 reports the tool's output. The
 * latency keeps each request open for a few spinner frames (ora's interval is 80 ms).
 */
function scriptEchoConversation(): void {
  server.setHandler((request) => {
    const results = toolResultsOf(request);
    if (results.length === 0) {
      const item = /item-\w+/.exec(lastUserText(request) ?? '')?.[0] ?? 'no-item';
      return {
        kind: 'message',
        latencyMs: 250,
        toolCalls: [{ name: 'echo__echo', arguments: { message: item } }],
      };
    }
    return {
      kind: 'message',
      latencyMs: 250,
      text: `The tool said: ${results[0]?.output ?? '?'}`,
    };
  });
}

/** Colour and CI detection left to the CLI: neither NO_COLOR nor CI is set. */
function runEnvironment(): Record<string, string | undefined> {
  return {
    AI_API_ENDPOINT: server.url,
    AI_API_TOKEN: 'test-token-output',
    // The bundled echo's diagnostic `echo` answers the message unchanged (short lines).
    TASKFLOW_ECHO_DIAGNOSTICS: '1',
    NO_COLOR: undefined,
    CI: undefined,
  };
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

interface PtyRun {
  /** Bytes typed on the terminal (e.g. "\u0003" for Ctrl-C). */
  type(text: string): void;
  /** Everything the terminal showed so far. */
  screen(): string;
  /** Resizes the terminal (the CLI gets SIGWINCH), as a user dragging the window would. */
  resize(columns: number): void;
  readonly result: Promise<CliResult>;
}

/**
 * Starts the CLI with stdin/stdout/stderr on a pseudo-terminal of `columns` columns
 * (`script` merges both output streams into its stdout and forwards its stdin as typing).
 */
function startUnderPty(
  args: readonly string[],
  columns: number,
  env: Record<string, string> = {},
): PtyRun {
  if (!fs.existsSync(SCRIPT)) throw new Error(`${SCRIPT} (util-linux) is needed for pty tests`);
  const command = [
    `stty cols ${columns} rows 40`,
    `exec ${[process.execPath, CLI, ...args].map(shellQuote).join(' ')}`,
  ].join(' && ');
  const child = spawn(SCRIPT, ['-qfec', command, '/dev/null'], {
    cwd: E2E_FIXTURES,
    env: cliEnvironment(sandbox, { ...runEnvironment(), ...env }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const result = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      // A hung CLI would outlive `script`: kill it first.
      for (const pid of childrenOf(child.pid ?? 0)) process.kill(pid, 'SIGKILL');
      child.kill('SIGKILL');
      reject(new Error(`the CLI under a ${columns}-column pty did not finish:\n${stdout}`));
    }, 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    type: (text) => child.stdin.write(text),
    screen: () => stdout,
    resize: (newColumns) => {
      const terminal = terminalOfChildOf(child.pid ?? 0);
      execFileSync('stty', ['-F', terminal, 'cols', String(newColumns)]);
    },
    result,
  };
}

/** Pids whose parent is `parentPid` (Linux /proc). */
function childrenOf(parentPid: number): number[] {
  const children: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parentPid)
        children.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return children;
}

/** The terminal (`/dev/pts/N`) of the process `script` started (the CLI, after exec). */
function terminalOfChildOf(parentPid: number): string {
  const [child] = childrenOf(parentPid);
  if (child === undefined) throw new Error(`no child of ${parentPid} found`);
  return fs.readlinkSync(`/proc/${child}/fd/1`);
}

async function waitForScreen(run: PtyRun, pattern: RegExp): Promise<void> {
  const deadline = performance.now() + 15_000;
  while (!pattern.test(run.screen())) {
    if (performance.now() > deadline) throw new Error(`waited for ${pattern}:\n${run.screen()}`);
    await delay(20);
  }
}

function runUnderPty(args: readonly string[], columns: number): Promise<CliResult> {
  return startUnderPty(args, columns).result;
}

function expectFullRunSucceeded(output: string): void {
  for (const task of ['list items', 'echo once', 'echo each']) expect(output).toContain(task);
  expect(output).toContain('The tool said: item-single');
  expect(output).toMatch(/\[item 3\][^\n]*The tool said: item-c/);
  expect(server.requests).toHaveLength(8);
  expect(server.unscripted).toHaveLength(0);
}

describe('--output plain', () => {
  it('prints a full run without any ANSI escape', async () => {
    const result = await runCli(['run', FLOW, '--output', 'plain'], sandbox, {
      env: runEnvironment(),
    });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(ANSI);
    expect(result.stderr).not.toMatch(ANSI);
    expectFullRunSucceeded(result.stdout);
    expect(result.stdout).toMatch(/^\S+Z tool echo\.echo ok/m);
    expect(result.stdout).toMatch(/^\S+Z taskflow \S+ succeeded in .*exit code 0$/m);
  }, 40_000);
});

describe('--output tty on a pseudo-terminal', () => {
  it('animates the spinner and ends with the summary table', async () => {
    const result = await runUnderPty(['run', FLOW, '--output', 'tty'], 100);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(SPINNER_FRAME);
    // ora hides the cursor while spinning and clears the spinner line between frames.
    expect(result.stdout).toContain(`${ESC}[?25l`);
    expect(result.stdout).toMatch(/waiting for test-model-chat/);
    expect(result.stdout).toMatch(TABLE_HEADER);
    expect(result.stdout).toContain(`${ESC}[32m`); // colour: NO_COLOR is unset
    expectFullRunSucceeded(result.stdout);
  }, 40_000);

  it('keeps going when the terminal is resized to 0 columns while it spins', async () => {
    const run = startUnderPty(['run', FLOW, '--output', 'tty'], 100);
    await waitForScreen(run, SPINNER_FRAME);
    // ora divides by the column count: one more frame at 0 columns used to hang the CLI.
    run.resize(0);
    const result = await run.result;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(TABLE_HEADER);
    expectFullRunSucceeded(result.stdout);
  }, 40_000);

  it('finishes on a terminal that reports 0 columns, without a spinner', async () => {
    const result = await runUnderPty(['run', FLOW, '--output', 'tty'], 0);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(SPINNER_FRAME);
    expect(result.stdout).toMatch(/… waiting for test-model-chat/);
    expect(result.stdout).toMatch(TABLE_HEADER);
    expectFullRunSucceeded(result.stdout);
  }, 40_000);
});

describe('Ctrl-C on a terminal', () => {
  it('stops with exit 130, says so, and gives the cursor back', async () => {
    server.enqueue({ kind: 'stall' });
    const run = startUnderPty(['run', 'taskflows/interrupt-prompt.yaml'], 100, {
      TOOLBOX_START_LOG: `${sandbox}/toolbox-starts.log`,
    });
    await waitForScreen(run, SPINNER_FRAME);
    while (server.inFlight === 0) await delay(20); // the request is stalled at the server
    const typedAt = performance.now();
    run.type('\u0003'); // the terminal turns it into SIGINT for the foreground process
    const result = await run.result;
    expect(result.code).toBe(130);
    expect(performance.now() - typedAt).toBeLessThan(2500);
    const screen = result.stdout;
    expect(screen).toContain('SIGINT received, stopping');
    expect(screen).toMatch(/■ taskflow \S+ interrupted/);
    expect(screen.replace(COLOUR, '')).toMatch(/1\s+wait for the model\s+interrupted/);
    expect(screen).not.toMatch(/\brunning\b/);
    // No extra error line repeating the status.
    expect(screen).not.toContain(`${ESC}[31minterrupted`);
    // ora hid the cursor while spinning; it must be visible again at the end.
    expect(screen.lastIndexOf(`${ESC}[?25h`)).toBeGreaterThan(screen.lastIndexOf(`${ESC}[?25l`));
  }, 30_000);
});
