import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { promptSource, readPromptFromStdin } from '../../src/cli/ask-prompt.js';
import { isTaskflowError } from '../../src/errors.js';

/** Where `ask` takes its prompt from (the e2e tests in ask-scripts.test.ts run the CLI). */

async function usageError(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isTaskflowError(error) || error.code !== 'usage') throw new Error('expected a usage error');
  return error.message;
}

describe('promptSource', () => {
  it('words are the prompt, even a "-" among others', () => {
    expect(promptSource(['a', '-', 'b'], { isTTY: true })).toEqual({
      kind: 'words',
      text: 'a - b',
    });
  });

  it('"-" alone reads stdin, a terminal included', () => {
    expect(promptSource(['-'], { isTTY: true })).toEqual({ kind: 'stdin', explicit: true });
  });

  it('no words read stdin unless it is a terminal (or missing)', async () => {
    expect(promptSource([], { isTTY: false })).toEqual({ kind: 'stdin', explicit: false });
    expect(
      await usageError(Promise.resolve().then(() => promptSource([], { isTTY: true }))),
    ).toMatch(/needs a prompt/);
    expect(await usageError(Promise.resolve().then(() => promptSource([], undefined)))).toMatch(
      /needs a prompt/,
    );
  });
});

describe('readPromptFromStdin', () => {
  it('joins the chunks and drops trailing whitespace', async () => {
    const stdin = Readable.from([Buffer.from('line one\n'), Buffer.from('line two\n\n')]);
    expect(await readPromptFromStdin(stdin, { explicit: true })).toBe('line one\nline two');
  });

  it('empty stdin: an empty prompt when implied, a usage error after "-"', async () => {
    expect(await readPromptFromStdin(Readable.from([]), { explicit: false })).toBe('');
    expect(await usageError(readPromptFromStdin(Readable.from([]), { explicit: true }))).toMatch(
      /stdin held no prompt/,
    );
  });

  it('refuses a prompt over the size bound', async () => {
    const stdin = Readable.from([Buffer.alloc(6, 'a'), Buffer.alloc(6, 'b')]);
    expect(await usageError(readPromptFromStdin(stdin, { explicit: false, maxBytes: 10 }))).toMatch(
      /larger than/,
    );
  });
});

describe('readPromptFromStdin on a quiet stdin', () => {
  it('says once what it waits for when nothing came within the time, and not after data', async () => {
    vi.useFakeTimers();
    try {
      const notices: number[] = [];
      const quiet = { afterMs: 3000, notice: () => notices.push(Date.now()) };
      const silent = new PassThrough();
      const reading = readPromptFromStdin(silent, { explicit: false, quiet });
      await vi.advanceTimersByTimeAsync(2999);
      expect(notices).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(1);
      expect(notices).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(notices).toHaveLength(1);
      silent.end('late prompt\n');
      expect(await reading).toBe('late prompt');

      const prompt = new PassThrough();
      const answered = readPromptFromStdin(prompt, { explicit: true, quiet });
      prompt.write('typed ');
      await vi.advanceTimersByTimeAsync(10_000);
      prompt.end('slowly');
      expect(await answered).toBe('typed slowly');
      expect(notices).toHaveLength(1);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
