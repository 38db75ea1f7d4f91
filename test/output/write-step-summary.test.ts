import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskflowError } from '../../src/errors.js';
import type { RunSummary } from '../../src/output/summary-from-events.js';
import { renderStepSummary, writeStepSummary } from '../../src/output/write-step-summary.js';

const summary: RunSummary = {
  sessionId: 'ses-42',
  taskflow: 'examples.taskflows.audit',
  status: 'failed',
  exitCode: 1,
  durationMs: 125_000,
  usage: { inputTokens: 12_345, outputTokens: 678 },
  tasks: [
    {
      index: 0,
      name: 'scan | files',
      status: 'succeeded',
      durationMs: 12_300,
      inputTokens: 12_000,
      outputTokens: 600,
      retries: 2,
    },
    {
      index: 1,
      name: 'report',
      status: 'failed',
      durationMs: 850,
      inputTokens: 345,
      outputTokens: 78,
      retries: 0,
    },
  ],
};

describe('writeStepSummary', () => {
  const directories: string[] = [];
  afterEach(() => {
    for (const directory of directories.splice(0))
      rmSync(directory, { recursive: true, force: true });
  });
  const summaryFile = (): string => {
    const directory = mkdtempSync(join(tmpdir(), 'taskflow-step-summary-'));
    directories.push(directory);
    return join(directory, 'step_summary.md');
  };

  it('appends a Markdown table with tasks, statuses, durations, tokens, retries and the session', () => {
    const filePath = summaryFile();
    writeFileSync(filePath, '## Earlier step\n\n');
    writeStepSummary(filePath, summary);
    const text = readFileSync(filePath, 'utf8');

    expect(
      text.startsWith('## Earlier step\n\n### ❌ taskflow `examples.taskflows.audit`: failed\n'),
    ).toBe(true);
    expect(text).toContain(
      'session `ses-42` · exit code 1 · 2m05s · 12,345 in / 678 out tokens · 2 retries',
    );
    expect(text).toContain(
      '| # | Task | Status | Duration | Input tokens | Output tokens | Retries |',
    );
    expect(text).toContain('| 1 | scan \\| files | ✅ succeeded | 12.3s | 12,000 | 600 | 2 |');
    expect(text).toContain('| 2 | report | ❌ failed | 850ms | 345 | 78 | 0 |');
    expect(text).toContain('Resume with: `taskflow resume ses-42`');
  });

  it('keeps both summaries when appending twice', () => {
    const filePath = summaryFile();
    writeStepSummary(filePath, summary);
    writeStepSummary(filePath, {
      ...summary,
      sessionId: 'ses-43',
      status: 'succeeded',
      exitCode: 0,
      tasks: [],
    });
    const text = readFileSync(filePath, 'utf8');
    expect(text.match(/^### /gm)).toHaveLength(2);
    expect(text).toContain('`ses-42`');
    expect(text).toContain(
      '### ✅ taskflow `examples.taskflows.audit`: succeeded\n\nsession `ses-43`',
    );
    expect(text.split('Resume with:')).toHaveLength(2);
  });

  it('reports an unwritable path as an io error naming the file', () => {
    const filePath = join(summaryFile(), 'missing-dir', 'summary.md');
    let caught: unknown;
    try {
      writeStepSummary(filePath, summary);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TaskflowError);
    expect((caught as TaskflowError).code).toBe('io');
    expect((caught as TaskflowError).filePath).toBe(filePath);
  });

  it('states the error and stderr of each failed task and the error of the run', () => {
    const text = renderStepSummary({
      ...summary,
      error: 'shell task exited with code 2',
      tasks: [
        { ...summary.tasks[0]!, restored: true },
        {
          ...summary.tasks[1]!,
          error: 'shell task exited with code 2',
          stderr: ['make: *** [all] Error 1', 'quote ``` inside', '\u001b[31mred\u001b[0m'],
        },
      ],
    });
    expect(text).toContain('| 1 | scan \\| files | ♻️ restored | 12.3s | 12,000 | 600 | 2 |');
    expect(text).toContain('| | **total** | ❌ failed | 13.2s | 12,345 | 678 | 2 |');
    expect(text).toContain('**Task 2 · report** failed: `shell task exited with code 2`');
    // The fence is longer than any backtick run inside; escapes are stripped.
    expect(text).toContain('````text\nmake: *** [all] Error 1\nquote ``` inside\nred\n````');
    expect(text).toContain('**The run failed:** `shell task exited with code 2`');
  });

  it('shows the task a stopped run ended in as stopped, with the stop reason', () => {
    const text = renderStepSummary({
      ...summary,
      status: 'stopped',
      exitCode: 75,
      error: 'rate limited: the wait of 2h exceeds the inline limit',
      tasks: [{ ...summary.tasks[1]!, status: 'stopped' }],
    });
    expect(text).toContain('| 2 | report | ⏸️ stopped |');
    expect(text).not.toContain('running');
    expect(text).toContain(
      '**The run stopped:** `rate limited: the wait of 2h exceeds the inline limit`',
    );
  });
});
