import { describe, expect, it } from 'vitest';
import { createReporter } from '../../src/output/create-reporter.js';
import { collectingStream, singleItemRun } from './sample-events.js';

describe('jsonl reporter', () => {
  it('writes exactly one JSON object per event on stdout and nothing else', async () => {
    const stdout = collectingStream();
    const stderr = collectingStream();
    const reporter = await createReporter({
      mode: 'jsonl',
      stdout: stdout.stream,
      stderr: stderr.stream,
      color: true,
      spinner: true,
    });
    const events = singleItemRun();

    reporter.info('Session: ses-1');
    for (const event of events) reporter.onEvent(event);
    reporter.warn('slow endpoint');
    reporter.info('Resume with: taskflow resume ses-1');
    reporter.close();

    const text = stdout.text();
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    expect(lines).toHaveLength(events.length);
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual(events);
    expect(stderr.text()).toBe(
      'Session: ses-1\nwarning: slow endpoint\nResume with: taskflow resume ses-1\n',
    );
  });

  it('keeps a delta containing newlines on one line', async () => {
    const stdout = collectingStream();
    const reporter = await createReporter({
      mode: 'jsonl',
      stdout: stdout.stream,
      stderr: collectingStream().stream,
      color: false,
      spinner: false,
    });
    const delta = singleItemRun().find((event) => event.type === 'text-delta');
    if (delta === undefined) throw new Error('fixture has no text-delta');
    reporter.onEvent({ ...delta, text: 'line 1\nline 2\r\n' });
    reporter.close();
    expect(stdout.text().split('\n')).toHaveLength(2);
    expect(JSON.parse(stdout.text())).toMatchObject({ text: 'line 1\nline 2\r\n' });
  });
});
