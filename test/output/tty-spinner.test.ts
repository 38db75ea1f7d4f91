import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createReporter } from '../../src/output/create-reporter.js';
import { collectingStream, singleItemRun } from './sample-events.js';

const fake = vi.hoisted(() => {
  const calls: string[] = [];
  const options: unknown[] = [];
  let spinning = false;
  const spinner = {
    text: '',
    get isSpinning() {
      return spinning;
    },
    start() {
      spinning = true;
      calls.push(`start ${spinner.text}`);
      return spinner;
    },
    stop() {
      // ora's stop() moves the cursor even when idle, so an idle stop is a bug to catch.
      calls.push(spinning ? 'stop' : 'stop while idle');
      spinning = false;
      return spinner;
    },
    clear() {
      return spinner;
    },
    render() {
      return spinner;
    },
  };
  const reset = (): void => {
    calls.length = 0;
    options.length = 0;
    spinning = false;
  };
  return { calls, options, spinner, reset };
});

vi.mock('ora', () => ({
  default: (options: { text?: string }) => {
    fake.options.push(options);
    fake.spinner.text = options.text ?? '';
    return fake.spinner;
  },
}));

describe('tty spinner', () => {
  beforeEach(() => fake.reset());

  it('never constructs ora when the spinner is disabled', async () => {
    const reporter = await createReporter({
      mode: 'tty',
      stdout: collectingStream().stream,
      stderr: collectingStream().stream,
      color: true,
      spinner: false,
    });
    for (const event of singleItemRun()) reporter.onEvent(event);
    reporter.close();
    expect(fake.options).toEqual([]);
  });

  it('spins while waiting, stops for streamed text, tool ends, pause and close', async () => {
    const stderr = collectingStream();
    const reporter = await createReporter({
      mode: 'tty',
      stdout: collectingStream().stream,
      stderr: stderr.stream,
      color: false,
      spinner: true,
    });
    const events = singleItemRun();
    // taskflow-start .. first text-delta (index 6)
    for (const event of events.slice(0, 7)) reporter.onEvent(event);
    expect(fake.options).toEqual([
      expect.objectContaining({
        stream: stderr.stream,
        isEnabled: true,
        discardStdin: false,
        color: false,
      }),
    ]);
    expect(fake.calls).toEqual(['start waiting for gpt-4.1', 'stop']);

    for (const event of events.slice(7, 10)) reporter.onEvent(event); // ... tool-call-start
    expect(fake.calls.at(-1)).toBe('start running echo.echo');
    reporter.pause();
    expect(fake.calls.at(-1)).toBe('stop');
    reporter.resume();
    expect(fake.calls.at(-1)).toBe('start running echo.echo');
    reporter.onEvent(events[10]!); // tool-call-end
    expect(fake.calls.at(-1)).toBe('stop');

    reporter.onEvent(events[11]!); // model-request-start
    expect(fake.spinner.isSpinning).toBe(true);
    reporter.close();
    expect(fake.spinner.isSpinning).toBe(false);
    reporter.onEvent(events[11]!);
    expect(fake.spinner.isSpinning).toBe(false);
    expect(fake.calls).not.toContain('stop while idle');
  });

  it('ends the model activity when a reply without text starts a tool call', async () => {
    const reporter = await createReporter({
      mode: 'tty',
      stdout: collectingStream().stream,
      stderr: collectingStream().stream,
      color: false,
      spinner: true,
    });
    const events = singleItemRun();
    const toolStartIndex = events.findIndex((event) => event.type === 'tool-call-start');
    expect(toolStartIndex).toBeGreaterThan(0);
    const withoutText = events
      .slice(0, toolStartIndex + 1)
      .filter((event) => event.type !== 'text-delta');
    for (const event of withoutText) reporter.onEvent(event);
    // Not "running echo.echo (+1 more)": nobody is waiting for the model any more.
    expect(fake.spinner.text).toBe('running echo.echo');
    expect(fake.calls).not.toContain('stop while idle');
    reporter.close();
  });

  it('stops at once when the terminal is resized to 0 columns, and resumes after', async () => {
    const stderr = collectingStream();
    const terminal = stderr.stream as NodeJS.WritableStream & { columns?: number };
    terminal.columns = 100;
    const reporter = await createReporter({
      mode: 'tty',
      stdout: collectingStream().stream,
      stderr: terminal,
      color: false,
      spinner: true,
    });
    const events = singleItemRun();
    for (const event of events.slice(0, 4)) reporter.onEvent(event); // .. model-request-start
    expect(fake.spinner.isSpinning).toBe(true);
    terminal.columns = 0;
    terminal.emit('resize');
    expect(fake.spinner.isSpinning).toBe(false);
    reporter.onEvent(events[3]!); // a new activity must not start ora at 0 columns
    expect(fake.spinner.isSpinning).toBe(false);
    terminal.columns = 80;
    terminal.emit('resize');
    expect(fake.spinner.isSpinning).toBe(true);
    reporter.close();
    expect(terminal.listenerCount('resize')).toBe(0);
  });
});
