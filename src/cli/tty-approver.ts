import readline from 'node:readline';
import type { Approver } from '../agent/types.js';

/**
 * Asks on the terminal whether a `confirm` tool may run. One question at a time even
 * with concurrent items (a promise chain serialises them); the reporter's spinner is
 * paused while asking. Aborting the signal answers "no".
 */
export function createTtyApprover(io: {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  pause: () => void;
  resume: () => void;
}): Approver {
  let queue: Promise<unknown> = Promise.resolve();
  return (request, options) => {
    const ask = async (): Promise<boolean> => {
      if (options.signal?.aborted) return false;
      io.pause();
      const rl = readline.createInterface({ input: io.input, output: io.output, terminal: true });
      try {
        const question = `Allow ${request.toolbox}.${request.tool}(${truncate(request.arguments)})? [y/N] `;
        const answer = await new Promise<string>((resolve) => {
          const onAbort = () => resolve('n');
          options.signal?.addEventListener('abort', onAbort, { once: true });
          rl.question(question, (text) => {
            options.signal?.removeEventListener('abort', onAbort);
            resolve(text);
          });
        });
        return /^y(es)?$/i.test(answer.trim());
      } finally {
        rl.close();
        io.resume();
      }
    };
    const result = queue.then(ask, ask);
    queue = result.catch(() => undefined);
    return result;
  };
}

function truncate(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}
