import { isTaskflowError } from '../errors.js';

/**
 * Print an error as one line (plus its detail lines); a stack only with `debug`.
 * Returns nothing; the caller decides the exit code.
 */
export function reportError(error: unknown, stderr: NodeJS.WritableStream, debug: boolean): void {
  if (isTaskflowError(error)) {
    stderr.write(`taskflow: ${error.message}\n`);
    for (const line of error.details) stderr.write(`taskflow: ${line}\n`);
  } else {
    const message = error instanceof Error ? error.message : String(error);
    stderr.write(`taskflow: internal error: ${message}\n`);
    if (!debug) stderr.write('taskflow: run again with --debug for the stack trace\n');
  }
  if (debug && error instanceof Error && error.stack) {
    stderr.write(`${error.stack}\n`);
    let cause: unknown = error.cause;
    for (let depth = 0; cause instanceof Error && depth < 5; depth++) {
      stderr.write(`caused by: ${cause.stack ?? cause.message}\n`);
      cause = cause.cause;
    }
  }
}

/**
 * A commander usage error (`error: unknown option '--x'`, possibly followed by a
 * `(Did you mean --y?)` line) as one line in taskflow's style, pointing at the help of the
 * command that refused it: `taskflow: unknown option '--x' (Did you mean --y?); see
 * "taskflow run --help"`.
 */
export function formatUsageError(commanderMessage: string, commandPath: string): string {
  const text = commanderMessage
    .trim()
    .replace(/^error:\s*/i, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' ')
    .replace(/\.$/, '');
  return `taskflow: ${text}; see "${commandPath} --help"\n`;
}
