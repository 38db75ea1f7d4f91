import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonl, runCli } from './cli-harness.js';
import {
  journalOf,
  onlySession,
  runToEnd,
  startCli,
  useSessionsWorkspace,
  waitFor,
  writeFlow,
} from './sessions-kit.js';

/**
 * A failed shell task explains itself wherever a person looks (issue 11, point 2): its last
 * stderr lines (bounded, secrets redacted) in plain and tty output, in the GitHub step
 * summary and in `sessions show`, which also name the error of the run; a task the run was
 * interrupted in is shown as interrupted, never as running.
 */

const workspace = useSessionsWorkspace();

const SECRET = 'deploy-secret-8f3a2c71';

const FAILING_FLOW = `
taskflow:
  - task:
      name: prepare
      run: echo ready
  - task:
      name: compile
      run: |
        echo "compiling"
        echo "warning: flag -O9 is deprecated" >&2
        echo "using token $DEPLOY_TOKEN" >&2
        echo "fatal: missing header foo.h" >&2
        exit 2
`;

const STDERR_LINES = ['warning: flag -O9 is deprecated', 'fatal: missing header foo.h'];

function runFailing(output: 'plain' | 'tty' | 'jsonl', env: Record<string, string> = {}) {
  const { server, sandbox, work } = workspace;
  writeFlow(work, 'flow', FAILING_FLOW);
  return runToEnd(server, sandbox, ['run', 'flow.yaml', '--output', output], {
    cwd: work,
    env: { DEPLOY_TOKEN: SECRET, ...env },
  });
}

describe('a failed shell task in the terminal', () => {
  it('plain output prints its stderr lines below the failure, secrets redacted', async () => {
    const result = await runFailing('plain');
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toMatch(
      /task 2 compile failed in \S+ \(0 in \/ 0 out\): shell task exited with code 2\n/,
    );
    for (const line of STDERR_LINES) expect(result.stdout).toContain(`\n  stderr: ${line}\n`);
    expect(result.stdout).toContain('\n  stderr: using token [redacted]\n');
    expect(`${result.stdout}${result.stderr}`).not.toContain(SECRET);
  });

  it('tty output prints them too, under the error line', async () => {
    const result = await runFailing('tty');
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toContain(
      '  shell task exited with code 2\n' +
        '  │ warning: flag -O9 is deprecated\n' +
        '  │ using token [redacted]\n' +
        '  │ fatal: missing header foo.h\n',
    );
    expect(`${result.stdout}${result.stderr}`).not.toContain(SECRET);
  });

  it('jsonl carries them as the task-end `stderr` lines, apart from the error message', async () => {
    const result = await runFailing('jsonl');
    expect(result.code, result.stderr).toBe(1);
    const failed = parseJsonl(result.stdout).find(
      (event) => event.type === 'task-end' && event.status === 'failed',
    );
    expect(failed).toMatchObject({
      taskIndex: 1,
      error: 'shell task exited with code 2',
      stderr: [STDERR_LINES[0], 'using token [redacted]', STDERR_LINES[1]],
    });
  });

  it('shows at most the last 20 lines and 4 KB of a flood of stderr', async () => {
    const { server, sandbox, work } = workspace;
    writeFlow(
      work,
      'flow',
      `
taskflow:
  - task:
      name: flood
      run: |
        for i in $(seq 1 500); do printf "line %03d %0300d\\n" $i 0 >&2; done
        exit 1
`,
    );
    const result = await runToEnd(server, sandbox, ['run', 'flow.yaml', '--output', 'plain'], {
      cwd: work,
    });
    expect(result.code, result.stderr).toBe(1);
    const shown = result.stdout.split('\n').filter((line) => line.startsWith('  stderr: '));
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.length).toBeLessThanOrEqual(20);
    expect(Buffer.byteLength(shown.join('\n'))).toBeLessThanOrEqual(4096 + 10 * shown.length);
    expect(shown.at(-1)).toMatch(/^ {2}stderr: line 500 /);
    // The journal keeps the same bounded tail for `sessions show`.
    const id = onlySession(sandbox);
    const end = journalOf(sandbox, id).find((record) => record.type === 'task-end') as {
      error?: { details?: string[] };
    };
    expect(end.error?.details?.length).toBe(shown.length);
  });
});

describe('a failed shell task after the run', () => {
  it('the step summary states the task error with its stderr and the error of the run', async () => {
    const stepSummary = path.join(workspace.sandbox, 'step-summary.md');
    const result = await runFailing('plain', { GITHUB_STEP_SUMMARY: stepSummary });
    expect(result.code, result.stderr).toBe(1);
    const text = fs.readFileSync(stepSummary, 'utf8');
    expect(text).toContain('**Task 2 · compile** failed: `shell task exited with code 2`');
    expect(text).toContain(
      '```text\nwarning: flag -O9 is deprecated\nusing token [redacted]\nfatal: missing header foo.h\n```',
    );
    expect(text).toContain('**The run failed:** `shell task exited with code 2`');
    expect(text).not.toContain(SECRET);
  });

  it('`sessions show` states the task error with its stderr and the error of the run', async () => {
    const result = await runFailing('plain');
    expect(result.code, result.stderr).toBe(1);
    const id = onlySession(workspace.sandbox);
    const shown = await runCli(['sessions', 'show', id], workspace.sandbox);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(
      /^error {5}task 2 compile: shell task exited with code 2 \[shell-failed\]$/m,
    );
    expect(shown.stdout).toContain(
      '      error: shell task exited with code 2\n' +
        '      │ warning: flag -O9 is deprecated\n' +
        '      │ using token [redacted]\n' +
        '      │ fatal: missing header foo.h\n',
    );
    expect(shown.stdout).not.toContain(SECRET);
  });
});

describe('an interrupted run', () => {
  it('shows the task it stopped in as interrupted in `sessions show` and the step summary', async () => {
    const { server, sandbox, work } = workspace;
    const started = path.join(work, 'started');
    const stepSummary = path.join(sandbox, 'step-summary.md');
    writeFlow(
      work,
      'flow',
      `
taskflow:
  - task:
      name: prepare
      run: echo ready
  - task:
      name: long-step
      run: |
        touch started
        sleep 30
`,
    );
    const running = startCli(server, sandbox, ['run', 'flow.yaml', '--output', 'plain'], {
      cwd: work,
      env: { GITHUB_STEP_SUMMARY: stepSummary },
    });
    await waitFor('the long step', () => fs.existsSync(started));
    running.child.kill('SIGINT');
    const result = await running.done;
    expect(result.code, result.stderr).toBe(130);

    const id = onlySession(sandbox);
    const shown = await runCli(['sessions', 'show', id], sandbox);
    expect(shown.stdout).toMatch(/^status {4}interrupted$/m);
    expect(shown.stdout).toMatch(/^ {3}2\. long-step {2}interrupted\b/m);
    expect(shown.stdout).not.toMatch(/\brunning\b/);

    const summary = fs.readFileSync(stepSummary, 'utf8');
    expect(summary).toContain('| 2 | long-step | ⏹️ interrupted |');
    expect(summary).not.toContain('running');
  });
});

describe('a stopped run', () => {
  it('shows the task it stopped in as stopped, and why the run stopped', async () => {
    const { server, sandbox, work } = workspace;
    const stepSummary = path.join(sandbox, 'step-summary.md');
    server.setHandler(() => ({
      kind: 'error',
      status: 429,
      headers: { 'retry-after': '600' },
      body: { error: { message: 'Rate limit reached', type: 'rate_limit', code: null } },
    }));
    writeFlow(
      work,
      'flow',
      `
taskflow:
  - task:
      name: ask
      agents: [personalities.plain]
      user_prompt: Say something.
`,
    );
    const result = await runToEnd(server, sandbox, ['run', 'flow.yaml', '--output', 'plain'], {
      cwd: work,
      env: { GITHUB_STEP_SUMMARY: stepSummary },
    });
    expect(result.code, result.stderr).toBe(75);

    const shown = await runCli(['sessions', 'show', onlySession(sandbox)], sandbox);
    expect(shown.stdout).toMatch(/^status {4}stopped$/m);
    expect(shown.stdout).toMatch(/^error {5}task 1 ask: .+ \[stopped\/[\w-]+\]$/m);
    expect(shown.stdout).toMatch(/^ {3}1\. ask {2}stopped\b/m);
    expect(shown.stdout).not.toMatch(/\brunning\b/);

    const summary = fs.readFileSync(stepSummary, 'utf8');
    expect(summary).toContain('| 1 | ask | ⏸️ stopped |');
    expect(summary).toMatch(/\*\*The run stopped:\*\* `.+`/);
    expect(summary).not.toContain('running');
  });
});
