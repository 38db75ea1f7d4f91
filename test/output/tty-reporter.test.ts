import stringWidth from 'string-width';
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

async function tty(options: { color: boolean; spinner: boolean; columns?: number }): Promise<{
  reporter: Reporter;
  stdout: Collected;
  stderr: Collected;
}> {
  const stdout = collectingStream();
  const stderr = collectingStream();
  // A terminal's stream reports its width; the table must fit it.
  if (options.columns !== undefined)
    Object.assign(stdout.stream, { isTTY: true, columns: options.columns });
  const reporter = await createReporter({
    mode: 'tty',
    stdout: stdout.stream,
    stderr: stderr.stream,
    color: options.color,
    spinner: options.spinner,
  });
  return { reporter, stdout, stderr };
}

describe('tty reporter', () => {
  it('without spinner and colour streams text, marks retries and ends with a summary table', async () => {
    const { reporter, stdout, stderr } = await tty({ color: false, spinner: false });
    for (const event of singleItemRun()) reporter.onEvent(event);
    reporter.close();
    const out = stdout.text();

    expect(out).not.toMatch(ANSI);
    expect(stderr.text()).not.toMatch(ANSI);
    expect(out).toContain('\nLet me check the echo tool.\n');
    // Partial text was already on screen: the retry is marked right below it.
    expect(out).toContain(
      '\nEcho replied hel\n(retrying)\n↻ stream interrupted: terminated; retrying in 2s (attempt 1/6)\n',
    );
    expect(out).toContain('\nEcho replied hello.\n');
    expect(out).toContain(
      '↻ rate limited (429): 429 Too Many Requests; retrying in 12s (attempt 3/8)',
    );
    expect(out).toContain('✔ echo.echo (12ms)');
    // Status lines stand in for the spinner, on stderr.
    expect(stderr.text()).toContain('… waiting for gpt-4.1\n');
    expect(stderr.text()).toContain('… running echo.echo\n');
    expect(stderr.text()).toContain('warning: tool result truncated to 20000 characters\n');

    const table = out.slice(out.lastIndexOf('#  Task'));
    const [header, row, , total] = table.split('\n');
    expect(header?.split(/\s{2,}/)).toEqual([
      '#',
      'Task',
      'Status',
      'Duration',
      'Tokens',
      'Retries',
    ]);
    expect(row?.split(/\s{2,}/)).toEqual([
      '1',
      'echo-task',
      'succeeded',
      '12.3s',
      '1,234 in / 567 out',
      '2',
    ]);
    // The total row sums the rows; the run's own clock (13.0s) is on the line below.
    expect(total?.trim().split(/\s{2,}/)).toEqual([
      'total',
      'succeeded',
      '12.3s',
      '1,234 in / 567 out',
      '2',
    ]);
    expect(
      out
        .trimEnd()
        .endsWith('✔ taskflow examples.taskflows.echo succeeded in 13.0s · 1,234 in / 567 out'),
    ).toBe(true);
  });

  it('uses ANSI colours when color is true', async () => {
    const { reporter, stdout } = await tty({ color: true, spinner: false });
    for (const event of singleItemRun()) reporter.onEvent(event);
    reporter.close();
    expect(stdout.text()).toMatch(ANSI);
    expect(stdout.text()).toContain('\u001b[32m✔\u001b[39m echo.echo');
  });

  it('buffers the text of concurrent items and prints each message whole', async () => {
    const { reporter, stdout } = await tty({ color: false, spinner: false });
    for (const event of twoItemTask()) reporter.onEvent(event);
    const out = stdout.text();
    expect(out).toContain(
      '\n[item 2] reviewer: b.ts has a bug.\n[item 2] ✖ failed: max turns reached\n',
    );
    expect(out).toContain('\n[item 1] reviewer: a.ts looks fine.\n[item 1] ✔ done\n');
  });

  it('ends a partial line on close and strips escapes from model text', async () => {
    const { reporter, stdout } = await tty({ color: false, spinner: false });
    const events = singleItemRun();
    const delta = events.find((event) => event.type === 'text-delta');
    if (delta === undefined) throw new Error('fixture has no text-delta');
    reporter.onEvent({ ...delta, text: 'partial \u001b]0;title\u0007\u001b[2Jtext' });
    reporter.close();
    reporter.close();
    expect(stdout.text()).toBe('partial text\n');
  });

  it('runs a real ora spinner on stderr and stops it on close', async () => {
    const { reporter, stdout, stderr } = await tty({ color: false, spinner: true });
    for (const event of singleItemRun().slice(0, 4)) reporter.onEvent(event);
    expect(stderr.text()).toContain('waiting for gpt-4.1');
    reporter.close();
    const length = stderr.text().length;
    reporter.onEvent(singleItemRun()[3]!);
    expect(stderr.text()).toHaveLength(length);
    expect(stdout.text()).toContain('Task 1: echo-task');
  });

  it("shows a failed shell task's stderr lines under its error, escapes stripped", async () => {
    const { reporter, stdout } = await tty({ color: false, spinner: false });
    for (const event of restoredThenShellFailure()) reporter.onEvent(event);
    reporter.close();
    const out = stdout.text();
    expect(out).toContain(
      '✖ Task 2 compile failed 250ms · 0 in / 0 out\n' +
        '  shell task exited with code 2\n' +
        '  │ make: *** [all] Error 1\n' +
        '  │ fatal: missing header\n',
    );
  });

  it('marks a task restored from the earlier run, in its line and in the table', async () => {
    const { reporter, stdout } = await tty({ color: false, spinner: false });
    for (const event of restoredThenShellFailure()) reporter.onEvent(event);
    reporter.close();
    const out = stdout.text();
    expect(out).toMatch(/↺ Task 1 prepare restored/);
    expect(out).toMatch(/^1\s+prepare\s+restored\s/m);
    expect(out).toMatch(/^\s+total\s+failed\s+4\.3s\s+100 in \/ 10 out\s+0$/m);
  });

  it('fits the summary table to the terminal width', async () => {
    const { reporter, stdout } = await tty({ color: false, spinner: false, columns: 50 });
    for (const event of restoredThenShellFailure()) reporter.onEvent(event);
    reporter.close();
    const out = stdout.text();
    const table = out.slice(out.lastIndexOf('#  Task')).split('\n').slice(0, 5);
    expect(table).toHaveLength(5);
    for (const line of table) expect(stringWidth(line), line).toBeLessThanOrEqual(50);
  });
});
