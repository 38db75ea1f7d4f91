import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { CLI, cliEnvironment, REPO_ROOT, type CliResult } from './cli-harness.js';
import { onlySession, runToEnd, useSessionsWorkspace, writeFlow } from './sessions-kit.js';

/**
 * The end-of-run summary table (issue 11, point 7): columns by display width (CJK, emoji),
 * readable on a 50-column terminal (a real pseudo-terminal), tasks restored on resume marked
 * as restored, and a total row that adds up.
 */

const workspace = useSessionsWorkspace({
  handler: () => ({
    kind: 'message',
    text: 'noted',
    usage: { promptTokens: 1200, completionTokens: 34 },
  }),
});

/** Terminal escapes (colours, cursor moves, ora's line clearing). */
// eslint-disable-next-line no-control-regex -- matching escape sequences is the point
const ESCAPES = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007]*\u0007/g;

/** The summary table's lines: from its header to its total row. */
function tableOf(screen: string): string[] {
  const lines = screen.replace(ESCAPES, '').split(/\r?\n/);
  const header = lines.findLastIndex((line) => /^#\s+Task\s+Status/.test(line));
  expect(header, screen).toBeGreaterThanOrEqual(0);
  const total = lines.findIndex((line, index) => index > header && /^\s+total\s/.test(line));
  expect(total, screen).toBeGreaterThan(header);
  return lines.slice(header, total + 1);
}

/** The display column where `needle` starts. */
function columnOf(line: string, needle: string): number {
  const at = line.indexOf(needle);
  expect(at, `${needle} in ${line}`).toBeGreaterThanOrEqual(0);
  return stringWidth(line.slice(0, at));
}

describe('the summary table', () => {
  it('aligns CJK and emoji task names by their display width', async () => {
    const { server, sandbox, work } = workspace;
    writeFlow(
      work,
      'flow',
      `
taskflow:
  - task: { name: "日本語のタスク", run: echo one }
  - task: { name: "🚀 deploy", run: echo two }
  - task: { name: plain, run: echo three }
`,
    );
    const result = await runToEnd(server, sandbox, ['run', 'flow.yaml', '--output', 'tty'], {
      cwd: work,
    });
    expect(result.code, result.stderr).toBe(0);
    const [header, ...rows] = tableOf(result.stdout);
    const statusColumn = columnOf(header ?? '', 'Status');
    for (const row of rows.slice(0, 3)) expect(columnOf(row, 'succeeded')).toBe(statusColumn);
  });

  it('marks the tasks a resume restored, and its total row sums the rows', async () => {
    const { server, sandbox, work } = workspace;
    writeFlow(
      work,
      'flow',
      `
taskflow:
  - task:
      name: ask
      agents: [personalities.plain]
      user_prompt: Say something.
  - task:
      name: gate
      run: test -f go || { echo "waiting for go" >&2; exit 1; }
`,
    );
    const first = await runToEnd(server, sandbox, ['run', 'flow.yaml', '--output', 'tty'], {
      cwd: work,
    });
    expect(first.code, first.stderr).toBe(1);
    const id = onlySession(sandbox);
    // A resume that fails again, in plain output: the finished task is restored, not rerun.
    const again = await runToEnd(server, sandbox, ['resume', id, '--output', 'plain'], {
      cwd: work,
    });
    expect(again.code, again.stderr).toBe(1);
    expect(again.stdout).toContain('task 1 ask restored (succeeded in an earlier run)');
    fs.writeFileSync(path.join(work, 'go'), '');

    const resumed = await runToEnd(server, sandbox, ['resume', id, '--output', 'tty'], {
      cwd: work,
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(server.requests.filter((request) => request.api === 'chat')).toHaveLength(1);
    expect(resumed.stdout).toMatch(/↺ Task 1 ask restored/);
    const [, restored, gate, , total] = tableOf(resumed.stdout);
    expect(restored?.split(/\s{2,}/)).toEqual(
      expect.arrayContaining(['1', 'ask', 'restored', '1,200 in / 34 out']),
    );
    expect(gate?.split(/\s{2,}/)).toEqual(
      expect.arrayContaining(['2', 'gate', 'succeeded', '0 in / 0 out']),
    );
    expect(total?.trim().split(/\s{2,}/)).toEqual(
      expect.arrayContaining(['total', 'succeeded', '1,200 in / 34 out', '0']),
    );
  });
});

/** python3's own binary: the pyenv shim would need the real HOME, which tests replace. */
function pythonExecutable(): string {
  return execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], {
    encoding: 'utf8',
  }).trim();
}

/**
 * Runs the CLI on a real pseudo-terminal of `columns` columns (test/fixtures/pty), output
 * mode and colour decided by the CLI as for a person at a terminal (CI and NO_COLOR unset).
 */
function runOnTerminal(args: readonly string[], columns: number, cwd: string): Promise<CliResult> {
  const { server, sandbox } = workspace;
  const helper = path.join(REPO_ROOT, 'test/fixtures/pty/run-in-pty.py');
  const child = spawn(
    pythonExecutable(),
    [helper, String(columns), '40', process.execPath, CLI, ...args],
    {
      cwd,
      env: cliEnvironment(sandbox, {
        AI_API_ENDPOINT: server.url,
        AI_API_TOKEN: 'test-token-pty',
        TASKFLOW_DEFAULT_MODEL: 'fake-model',
        CI: undefined,
        NO_COLOR: undefined,
        TERM: 'xterm-256color',
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the CLI on a pty did not finish:\n${stdout}\n${stderr}`));
    }, 40_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe('on a 50-column pseudo-terminal', () => {
  it("shows a failed shell task's stderr lines and a summary table that fits", async () => {
    const { work } = workspace;
    writeFlow(
      work,
      'flow',
      `
taskflow:
  - task:
      name: Ask the model for a short note about the repository
      agents: [personalities.plain]
      user_prompt: Say something.
  - task:
      name: レポジトリのすべてのファイルを確認する
      run: echo checked
  - task:
      name: Build the release artefacts 📦
      run: |
        echo "cc -O2 -c main.c" >&2
        echo "main.c:3:10: fatal error: foo.h: No such file or directory" >&2
        exit 2
`,
    );
    const result = await runOnTerminal(['run', 'flow.yaml'], 50, work);
    expect(result.code, result.stdout).toBe(1);
    const screen = result.stdout.replace(ESCAPES, '');
    // tty mode (not plain): the task lines and the stderr block of the failure.
    expect(screen).toMatch(/✖ Task 3 Build the release artefacts 📦 failed/);
    expect(screen).toContain('  │ cc -O2 -c main.c\r\n');
    expect(screen).toContain('  │ main.c:3:10: fatal error: foo.h: No such file or directory\r\n');

    const table = tableOf(result.stdout);
    expect(table).toHaveLength(6);
    for (const line of table) expect(stringWidth(line), line).toBeLessThanOrEqual(50);
    expect(table.join('\n')).toMatch(/succeeded[\s\S]*succeeded[\s\S]*failed/);
    expect(table.at(-1)).toMatch(/total\s+failed/);
    expect(table.join('\n')).toContain('1,200');
  }, 60_000);
});
