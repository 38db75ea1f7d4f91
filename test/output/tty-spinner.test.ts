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
      if (spinning) calls.push('stop');
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

  it('never constructs ora when the spinner is disabled', () => {
    const reporter = createReporter({
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

  it('spins while waiting, stops for streamed text, tool ends, pause and close', () => {
    const stderr = collectingStream();
    const reporter = createReporter({
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
  });
});
