import { TaskflowError } from '../errors.js';

/** Where `ask` takes its prompt from. */
export type PromptSource =
  | { readonly kind: 'words'; readonly text: string }
  | { readonly kind: 'stdin'; readonly explicit: boolean };

/** After this long with nothing on stdin, `ask` says what it is waiting for. */
export const STDIN_QUIET_NOTICE_MS = 3000;

/** The most a prompt read from stdin may hold. */
export const MAX_STDIN_PROMPT_BYTES = 8 * 1024 * 1024;

/**
 * `ask`'s prompt: its words joined by spaces; a lone `-`, or no words while stdin is not a
 * terminal (a pipe, a file), mean "read it from stdin". Decided before anything is read or
 * started, so a usage error costs nothing.
 *
 * @throws TaskflowError 'usage' for no words with stdin on a terminal (or no stdin at all)
 */
export function promptSource(
  words: readonly string[],
  stdin: { readonly isTTY?: boolean } | undefined,
): PromptSource {
  if (words.length === 1 && words[0] === '-') return { kind: 'stdin', explicit: true };
  if (words.length > 0) return { kind: 'words', text: words.join(' ') };
  if (stdin === undefined || stdin.isTTY === true) {
    throw new TaskflowError(
      'usage',
      'ask needs a prompt: give it as words after the personality, or pipe it to stdin ("-" reads stdin)',
    );
  }
  return { kind: 'stdin', explicit: false };
}

/**
 * Read the prompt from stdin to its end, without trailing whitespace (the newline `echo`
 * and editors add). An empty result is allowed when stdin was implied (seclab runs a
 * personality without a prompt), a usage error when `-` asked for it.
 *
 * @throws TaskflowError 'usage' for an empty prompt after `-`, or one over MAX_STDIN_PROMPT_BYTES
 */
export async function readPromptFromStdin(
  stdin: NodeJS.ReadableStream,
  options: {
    explicit: boolean;
    maxBytes?: number;
    /**
     * Called once when stdin has given nothing after `afterMs` (a pipe nobody writes to or
     * closes would otherwise wait in silence).
     */
    quiet?: { afterMs: number; notice: () => void };
  },
): Promise<string> {
  const maxBytes = options.maxBytes ?? MAX_STDIN_PROMPT_BYTES;
  const chunks: Buffer[] = [];
  let size = 0;
  const quiet = options.quiet;
  let quietTimer: NodeJS.Timeout | undefined =
    quiet === undefined ? undefined : setTimeout(quiet.notice, quiet.afterMs);
  // The wait itself is stdin's: the timer never keeps the process alive.
  quietTimer?.unref();
  try {
    for await (const chunk of stdin) {
      clearTimeout(quietTimer);
      quietTimer = undefined;
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      if (size > maxBytes) {
        throw new TaskflowError(
          'usage',
          `the prompt on stdin is larger than ${Math.round(maxBytes / (1024 * 1024))} MiB`,
        );
      }
      chunks.push(bytes);
    }
  } finally {
    clearTimeout(quietTimer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trimEnd();
  if (text === '' && options.explicit)
    throw new TaskflowError('usage', 'ask -: stdin held no prompt (it was empty)');
  return text;
}
