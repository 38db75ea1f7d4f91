import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
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
