import { startGracefulStop } from '../toolbox/graceful-stop.js';
import { removeLeftoverScriptFiles } from '../engine/shell-script-files.js';
import { killAllToolboxProcesses } from '../toolbox/process-registry.js';

export interface InterruptHandle {
  readonly signal: AbortSignal;
  /** The signal name that interrupted the run, if any. */
  readonly interruptedBy: () => NodeJS.Signals | undefined;
  dispose(): void;
}

export interface InterruptOptions {
  /**
   * Runs (synchronously) before a second signal exits at once: flush buffered output and
   * restore the terminal. Must not throw.
   */
  readonly beforeForcedExit?: () => void;
}

/**
 * First SIGINT/SIGTERM: abort the root controller with a `GracefulStop` (stop sending, abort
 * in-flight work; tool calls already sent get a short grace to finish, so their results are
 * journaled); the command then flushes and exits 130. A second SIGINT exits at once, after
 * killing any MCP server and shell task process groups still alive (and, on exit, removing
 * the script files of shell tasks that had no time to).
 */
export function installInterruptHandler(
  stderr: NodeJS.WritableStream,
  options: InterruptOptions = {},
): InterruptHandle {
  const controller = new AbortController();
  let by: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (by !== undefined) {
      killAllToolboxProcesses();
      try {
        options.beforeForcedExit?.();
      } catch {
        // exiting anyway: the run is already being abandoned
      }
      stderr.write('taskflow: interrupted again, exiting now\n');
      process.exit(130);
    }
    by = signal;
    stderr.write(`\ntaskflow: ${signal} received, stopping (press Ctrl-C again to exit at once)\n`);
    controller.abort(startGracefulStop(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const onExit = () => {
    killAllToolboxProcesses();
    removeLeftoverScriptFiles();
  };
  process.on('exit', onExit);
  return {
    signal: controller.signal,
    interruptedBy: () => by,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('exit', onExit);
    },
  };
}
