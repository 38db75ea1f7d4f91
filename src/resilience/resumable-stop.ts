import { TaskflowError, type TaskflowErrorFields } from '../errors.js';

/** Why a run stopped resumably (exit 75). */
export type ResumableStopReason = 'rate-limit' | 'quota' | 'outage' | 'wait-budget';

/** The largest epoch ms a `Date` can hold (ECMAScript time range). */
const MAX_DATE_MS = 8.64e15;

/**
 * A stop that `taskflow resume` can continue later: code `stopped` (exit 75). The session
 * stores `resumeNotBefore` (epoch ms) when the wait is known. Callers bound the wait (see
 * `honouredHint`); a value that is still no valid date (NaN, Infinity, beyond year
 * 275760) is not kept, so recording the stop can never fail on it.
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
    if (
      resumeNotBefore !== undefined &&
      Number.isFinite(resumeNotBefore) &&
      Math.abs(resumeNotBefore) <= MAX_DATE_MS
    ) {
      this.resumeNotBefore = resumeNotBefore;
    }
  }
}

export function isResumableStop(error: unknown): error is ResumableStop {
  return error instanceof ResumableStop;
}
