import { describe, expect, it } from 'vitest';
import { createReporter } from '../../src/output/create-reporter.js';
import type { Reporter } from '../../src/output/reporter.js';
import {
  ANSI,
  collectingStream,
  restoredThenShellFailure,
  singleItemRun,
  twoItemTask,
  type Collected,
} from './sample-events.js';

const NOW = '2025-03-01T12:00:00.000Z';

async function plain(): Promise<{ reporter: Reporter; stdout: Collected; stderr: Collected }> {
  const stdout = collectingStream();
  const stderr = collectingStream();
  const reporter = await createReporter({
    mode: 'plain',
    stdout: stdout.stream,
    stderr: stderr.stream,
    // Plain mode must ignore both.
    color: true,
    spinner: true,
    now: () => new Date(NOW),
  });
  return { reporter, stdout, stderr };
}

function countOf(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

describe('plain reporter', () => {
  it('prints timestamped lines without ANSI, each message once, and retry lines', async () => {
    const { reporter, stdout, stderr } = await plain();
    for (const event of singleItemRun()) reporter.onEvent(event);
    reporter.close();
    const out = stdout.text();

    expect(out).not.toMatch(ANSI);
    expect(stderr.text()).not.toMatch(ANSI);
    for (const line of out.trimEnd().split('\n')) expect(line.startsWith(`${NOW} `)).toBe(true);

    expect(countOf(out, 'Let me check the echo tool.')).toBe(1);
    expect(out).toContain(`${NOW} assistant: Let me check the echo tool.\n`);
    // The partial text of the interrupted stream is dropped, the retried answer printed once.
    expect(countOf(out, 'Echo replied')).toBe(1);
    expect(out).toContain(`${NOW} assistant: Echo replied hello.\n`);
    expect(out).toContain(
      `${NOW} rate limited (429): 429 Too Many Requests; retrying in 12s (attempt 3/8)\n`,
    );
    expect(out).toContain(`${NOW} stream interrupted: terminated; retrying in 2s (attempt 1/6)\n`);
    expect(out).toContain(`${NOW} tool echo.echo ok (12ms)\n`);
    expect(out).toContain('task 1 echo-task succeeded in 12.3s (1,234 in / 567 out)');
    expect(out).toContain('taskflow examples.taskflows.echo succeeded in 13.0s');
    expect(stderr.text()).toBe(`${NOW} warning: tool result truncated to 20000 characters\n`);

    // The message is printed when the turn ends: before the tool result, after the retry.
    expect(out.indexOf('Let me check')).toBeLessThan(out.indexOf('tool echo.echo ok'));
    expect(out.indexOf('stream interrupted')).toBeLessThan(out.indexOf('Echo replied hello.'));
  });

  it('prints interleaved items whole, with [item N] prefixes', async () => {
    const { reporter, stdout } = await plain();
    for (const event of twoItemTask()) reporter.onEvent(event);
    const out = stdout.text();
    expect(out).toContain(`${NOW} [item 1] reviewer: a.ts looks fine.\n`);
    expect(out).toContain(`${NOW} [item 2] reviewer: b.ts has a bug.\n`);
    expect(out).toContain(`${NOW} [item 2] failed: max turns reached\n`);
    expect(out).toContain(`${NOW} [item 1] started: a.ts\n`);
    expect(out).toContain('task 1 per-file started (2 items)');
  });

  it('indents multi-line messages, strips escapes, and flushes on close', async () => {
    const { reporter, stdout } = await plain();
    const [start, , , , , delta] = twoItemTask();
    if (start?.type !== 'task-start' || delta?.type !== 'text-delta')
      throw new Error('fixture changed');
    reporter.onEvent({ ...start, itemCount: 1 });
    reporter.onEvent({ ...delta, text: '\u001b[31mfirst\u001b[0m\nsecond' });
    expect(stdout.text()).not.toContain('first');
    reporter.close();
    reporter.close();
    expect(stdout.text().endsWith(`${NOW} reviewer:\n  first\n  second\n`)).toBe(true);
    expect(stdout.text()).not.toMatch(ANSI);
  });

  it("prints a failed shell task's stderr lines below its line, and marks restored tasks", async () => {
    const { reporter, stdout } = await plain();
    for (const event of restoredThenShellFailure()) reporter.onEvent(event);
    reporter.close();
    const out = stdout.text();
    expect(out).not.toMatch(ANSI);
    expect(out).toContain(
      `${NOW} task 2 compile failed in 250ms (0 in / 0 out): shell task exited with code 2\n` +
        '  stderr: make: *** [all] Error 1\n' +
        '  stderr: fatal: missing header\n',
    );
    expect(out).toContain(`${NOW} task 1 prepare restored (succeeded in an earlier run)\n`);
  });
});
