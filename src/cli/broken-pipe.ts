/**
 * `taskflow … | head`: when the reader of stdout goes away, writes fail with EPIPE. Node
 * reports that as an 'error' event on process.stdout, which crashes the process with a
 * stack trace unless something listens. This module listens (installed once by main.ts),
 * drops further output, and tells the running commands, which stop gracefully (see
 * running-command.ts). Output-only commands (help, list, sessions, schema, validate) just
 * finish with their own exit code: their product was the output, read as far as wanted.
 */

import { startGracefulStop } from '../toolbox/graceful-stop.js';
import type { InterruptHandle } from './interrupt.js';

type Listener = () => void;

let stdoutGone = false;
const listeners = new Set<Listener>();

/**
 * Calls `listener` once when stdout closes (at once if it already has).
 *
 * @returns a function that removes the listener
 */
export function onStdoutClosed(listener: Listener): () => void {
  if (stdoutGone) {
    listener();
    return () => undefined;
  }
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Installs the 'error' listeners on both output streams. A failed stdout notifies the
 * listeners once; a failed stderr is ignored (there is nowhere left to say anything).
 * Errors other than EPIPE on stdout are named once on stderr.
 */
export function installBrokenPipeHandlers(
  stdout: NodeJS.WriteStream,
  stderr: NodeJS.WriteStream,
): void {
  stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (stdoutGone) return;
    stdoutGone = true;
    if (error.code !== 'EPIPE') {
      stderr.write(`taskflow: cannot write to stdout (${error.code ?? error.message})\n`);
    }
    for (const listener of [...listeners]) listener();
    listeners.clear();
  });
  stderr.on('error', () => undefined);
}

/**
 * The interrupt handle of a running command, extended: a closed stdout stops the run as
 * the first Ctrl-C does (graceful: the checkpoint is flushed, the session resumable), and
 * `interruptedBy()` then says `SIGPIPE` (the command exits 141, as a shell reports a
 * writer ended by a closed pipe).
 */
export function stopWhenStdoutCloses(
  interrupt: InterruptHandle,
  stderr: NodeJS.WritableStream,
): InterruptHandle {
  const controller = new AbortController();
  const remove = onStdoutClosed(() => {
    if (interrupt.signal.aborted) return;
    stderr.write('taskflow: stdout was closed (broken pipe); stopping\n');
    controller.abort(startGracefulStop('stdout was closed (broken pipe)'));
  });
  return {
    signal: AbortSignal.any([interrupt.signal, controller.signal]),
    interruptedBy: () =>
      interrupt.interruptedBy() ?? (controller.signal.aborted ? 'SIGPIPE' : undefined),
    dispose() {
      remove();
      interrupt.dispose();
    },
  };
}
