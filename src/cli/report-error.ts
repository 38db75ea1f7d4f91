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
