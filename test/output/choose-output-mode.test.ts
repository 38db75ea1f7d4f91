import { describe, expect, it } from 'vitest';
import { TaskflowError } from '../../src/errors.js';
import { chooseOutputMode } from '../../src/output/choose-output-mode.js';

describe('chooseOutputMode', () => {
  it('defaults to tty on a terminal outside CI, else plain', () => {
    expect(chooseOutputMode(undefined, { stdoutIsTty: true, ci: false })).toBe('tty');
    expect(chooseOutputMode(undefined, { stdoutIsTty: true, ci: true })).toBe('plain');
    expect(chooseOutputMode(undefined, { stdoutIsTty: false, ci: false })).toBe('plain');
  });

  it('honours an explicit flag whatever the terminal', () => {
    expect(chooseOutputMode('jsonl', { stdoutIsTty: true, ci: false })).toBe('jsonl');
    expect(chooseOutputMode('tty', { stdoutIsTty: false, ci: true })).toBe('tty');
    expect(chooseOutputMode('plain', { stdoutIsTty: true, ci: false })).toBe('plain');
  });

  it('rejects other values as usage errors', () => {
    for (const flag of ['html', '', 'JSONL']) {
      let caught: unknown;
      try {
        chooseOutputMode(flag, { stdoutIsTty: true, ci: false });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(TaskflowError);
      expect((caught as TaskflowError).code).toBe('usage');
      expect((caught as TaskflowError).message).toBe(
        `--output: expected one of tty, plain, jsonl, got ${JSON.stringify(flag)}`,
      );
    }
  });
});
