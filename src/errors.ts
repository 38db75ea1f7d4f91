/**
 * The one error base class of taskflow. Every error we throw is a `TaskflowError` with a
 * string `code`; the CLI maps codes to exit codes (one owner for that decision).
 */

/** Error codes. Grouped by the layer that raises them. */
export type ErrorCode =
  // usage and definitions (exit 2)
  | 'usage'
  | 'definition-invalid'
  | 'reference-unresolved'
  | 'template'
  // configuration discovered at run time (exit 78)
  | 'config'
  | 'auth'
  // toolboxes
  | 'toolbox-start'
  | 'toolbox-closed'
  | 'tool-timeout'
  // model and agent
  | 'model'
  | 'model-behavior'
  | 'max-steps'
  // tasks
  | 'task-failed'
  | 'shell-failed'
  | 'output-invalid'
  | 'iterable-invalid'
  // sessions
  | 'session'
  | 'session-locked'
  | 'session-changed'
  // resilience stops
  | 'quota'
  | 'stopped'
  | 'cancelled'
  // everything else
  | 'io'
  | 'internal';

/** Typed fields an error may carry; all optional. */
export interface TaskflowErrorFields {
  cause?: unknown;
  filePath?: string;
  line?: number;
  column?: number;
  fieldPath?: string;
  taskIndex?: number;
  toolbox?: string;
  status?: number;
  /** Extra detail lines shown under the one-line message (never a stack). */
  details?: readonly string[];
}

export class TaskflowError extends Error {
  override readonly name: string = 'TaskflowError';
  readonly code: ErrorCode;
  readonly filePath?: string;
  readonly line?: number;
  readonly column?: number;
  readonly fieldPath?: string;
  readonly taskIndex?: number;
  readonly toolbox?: string;
  readonly status?: number;
  readonly details: readonly string[];

  constructor(code: ErrorCode, message: string, fields: TaskflowErrorFields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.code = code;
    if (fields.filePath !== undefined) this.filePath = fields.filePath;
    if (fields.line !== undefined) this.line = fields.line;
    if (fields.column !== undefined) this.column = fields.column;
    if (fields.fieldPath !== undefined) this.fieldPath = fields.fieldPath;
    if (fields.taskIndex !== undefined) this.taskIndex = fields.taskIndex;
    if (fields.toolbox !== undefined) this.toolbox = fields.toolbox;
    if (fields.status !== undefined) this.status = fields.status;
    this.details = fields.details ?? [];
  }
}

export function isTaskflowError(value: unknown): value is TaskflowError {
  return value instanceof TaskflowError;
}

/** For exhaustive switches over discriminated unions. */
export function assertNever(value: never, what = 'value'): never {
  throw new TaskflowError('internal', `unexpected ${what}: ${JSON.stringify(value)}`);
}

/** A short human message for anything thrown. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
