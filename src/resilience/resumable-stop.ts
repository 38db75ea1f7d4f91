import { TaskflowError, type TaskflowErrorFields } from '../errors.js';

/** Why a run stopped resumably (exit 75). */
export type ResumableStopReason = 'rate-limit' | 'quota' | 'outage' | 'wait-budget';

/**
 * A stop that `taskflow resume` can continue later: code `stopped` (exit 75). The session
 * stores `resumeNotBefore` (epoch ms) when the wait is known.
 */
export class ResumableStop extends TaskflowError {
  override readonly name = 'ResumableStop';
  readonly reason: ResumableStopReason;
  readonly resumeNotBefore?: number;

  constructor(
    reason: ResumableStopReason,
    message: string,
    fields: TaskflowErrorFields & { resumeNotBefore?: number } = {},
  ) {
    const { resumeNotBefore, ...rest } = fields;
    super('stopped', message, rest);
    this.reason = reason;
    if (resumeNotBefore !== undefined) this.resumeNotBefore = resumeNotBefore;
  }
}

export function isResumableStop(error: unknown): error is ResumableStop {
  return error instanceof ResumableStop;
}
