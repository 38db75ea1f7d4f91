/**
 * What the model and the user read when a tool call or a server fails. Kept apart from the
 * restart logic so the wording can be reviewed in one place.
 */
import { TaskflowError } from '../errors.js';
import type { ToolAnnotations, ToolInfo } from './types.js';

/** The server says a repeat is harmless: the only case in which a call is re-executed. */
export function isRerunnable(annotations: ToolAnnotations | undefined): boolean {
  return annotations?.readOnlyHint === true || annotations?.idempotentHint === true;
}

/** A second timeout of a re-executed call, or a first one that may not be repeated. */
export function timeoutAfterPolicy(error: TaskflowError, reExecuted: boolean): TaskflowError {
  const note = reExecuted
    ? '; it was re-executed once (the server marks it read-only or idempotent) and timed out again'
    : '; it was not re-executed because the server does not mark it read-only or idempotent';
  return new TaskflowError('tool-timeout', `${error.message}${note}`, {
    cause: error,
    ...(error.toolbox !== undefined && { toolbox: error.toolbox }),
  });
}

export interface StopReport {
  readonly toolbox: string;
  /** "server was killed by SIGKILL"; empty when the process is not known to have exited. */
  readonly exit: string;
  /** The error of the interrupted call. */
  readonly error: TaskflowError;
  /** The call had already been re-executed once after an earlier stop or timeout. */
  readonly reExecuted: boolean;
  /** How later calls are served: a restarted server, a server per call, or none. */
  readonly next: 'restarted' | 'per-call' | 'none';
  readonly rerunnable: boolean;
}

/** The model is told the outcome is unknown, and why the call was not repeated. */
export function outcomeUnknown(report: StopReport): TaskflowError {
  const reason = report.exit === '' ? report.error.message : report.exit;
  const again = report.reExecuted ? ', also when it was re-executed' : '';
  let after = '';
  if (report.next === 'restarted') after += ' The server was restarted for later calls.';
  if (!report.rerunnable) {
    after +=
      ' The call was not re-executed because the server does not mark the tool read-only or idempotent.';
  }
  return new TaskflowError(
    'toolbox-closed',
    `the "${report.toolbox}" server stopped during the call${again} (${reason}); outcome unknown.${after}`,
    { toolbox: report.toolbox, cause: report.error },
  );
}

/** The restart budget is spent: the task fails, showing the last words of the server. */
export function tooManyStops(
  toolbox: string,
  stops: number,
  maxRestarts: number,
  exit: string,
  stderrTail: readonly string[],
): TaskflowError {
  const stderrPart =
    stderrTail.length > 0 ? ` — last stderr: ${stderrTail.slice(-3).join(' | ')}` : '';
  return new TaskflowError(
    'task-failed',
    `toolbox "${toolbox}" stopped ${stops} times during this task (at most ${maxRestarts} restarts)${exit === '' ? '' : `: ${exit}`}${stderrPart}`,
    { toolbox, details: stderrTail },
  );
}

/** A restarted server must offer the tools the model was given. */
export function toolsChanged(
  toolbox: string,
  before: readonly ToolInfo[],
  after: readonly ToolInfo[],
): TaskflowError | undefined {
  const shape = (tools: readonly ToolInfo[]) =>
    new Map(tools.map((tool) => [tool.name, JSON.stringify(tool.inputSchema)]));
  const old = shape(before);
  const current = shape(after);
  const missing = [...old.keys()].filter((name) => !current.has(name));
  const added = [...current.keys()].filter((name) => !old.has(name));
  const changed = [...old.keys()].filter(
    (name) => current.has(name) && current.get(name) !== old.get(name),
  );
  if (missing.length + added.length + changed.length === 0) return undefined;
  const parts = [
    missing.length > 0 ? `missing ${missing.join(', ')}` : '',
    added.length > 0 ? `new ${added.join(', ')}` : '',
    changed.length > 0 ? `changed input schema of ${changed.join(', ')}` : '',
  ].filter((part) => part !== '');
  return new TaskflowError(
    'task-failed',
    `toolbox "${toolbox}" was restarted but its tools differ from those at task start (${parts.join('; ')})`,
    { toolbox },
  );
}
