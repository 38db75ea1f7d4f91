/**
 * The typed events the engine emits (cli.md "Event contract"). Reporters consume them;
 * the engine never knows which reporter is active. `type` and the listed fields are public
 * API of `--output jsonl`.
 */
import type { Usage } from './model/types.js';

export type TaskStatus = 'succeeded' | 'failed' | 'skipped';
/** `planned` / `sharded`: a fan-out's branches were left to shards (scale-out.md "Shards"). */
export type RunStatus = 'succeeded' | 'failed' | 'stopped' | 'interrupted' | 'planned' | 'sharded';
export type ToolCallStatus = 'ok' | 'error' | 'denied' | 'timeout';

interface Located {
  readonly taskIndex: number;
  readonly itemIndex: number;
}

export type TaskflowEventBody =
  | { type: 'taskflow-start'; sessionId: string; taskflow: string; resumed: boolean }
  | { type: 'task-start'; taskIndex: number; taskName: string; itemCount: number }
  | ({ type: 'item-start'; label?: string } & Located)
  | ({ type: 'item-end'; status: 'succeeded' | 'failed'; error?: string } & Located)
  | ({ type: 'model-request-start'; model: string; attempt: number } & Located)
  | ({
      type: 'model-retry';
      errorClass: string;
      status: number | null;
      attempt: number;
      maxAttempts: number;
      delayMs: number;
      delaySource: 'retry-after-ms' | 'retry-after' | 'reset-header' | 'backoff';
      message: string;
      /** The cause in a few words (`connection reset (ECONNRESET)`, the API's message). */
      cause?: string;
    } & Located)
  | ({
      type: 'rate-limit-wait';
      model: string;
      /** Which budget holds the request back (scale-out.md "Pacing"). */
      reason:
        'first-answer' | 'concurrency' | 'requests' | 'tokens' | 'server-wait' | 'daily-quota';
      /** Until the request may go; null while it waits for an answer or a free slot. */
      delayMs: number | null;
      /** Units left in the bucket that holds it back, when one does. */
      remaining: number | null;
    } & Located)
  | ({ type: 'text-delta'; text: string; agent: string } & Located)
  | ({
      type: 'tool-call-start';
      toolbox: string;
      tool: string;
      callId: string;
      arguments: string;
    } & Located)
  | ({
      type: 'tool-call-end';
      toolbox: string;
      tool: string;
      callId: string;
      status: ToolCallStatus;
      durationMs: number;
      resultPreview?: string;
    } & Located)
  | ({ type: 'handoff'; from: string; to: string } & Located)
  | { type: 'warning'; message: string; taskIndex?: number; itemIndex?: number }
  | {
      type: 'task-end';
      taskIndex: number;
      taskName: string;
      status: TaskStatus;
      durationMs: number;
      usage: Usage;
      /** Time the task's model requests waited for the pacer's budget. */
      pacedMs?: number;
      /** Time they waited before retries (429 and other back-off). */
      waitMs?: number;
      error?: string;
      /** A failed shell task's last stderr lines (at most 20 lines / 4 KB), oldest first. */
      stderr?: string[];
      /** Finished in an earlier run of the session and reused by this resume, not run again. */
      restored?: boolean;
    }
  | {
      type: 'taskflow-end';
      sessionId: string;
      status: RunStatus;
      exitCode: number;
      usage: Usage;
      durationMs: number;
      error?: string;
    };

export type TaskflowEvent = TaskflowEventBody & { readonly timestamp: string };
export type EventType = TaskflowEvent['type'];

/** Where events go. Must not throw; must be cheap (called per text delta). */
export type EventSink = (event: TaskflowEvent) => void;

/** Stamp and deliver an event. */
export function emitEvent(
  sink: EventSink,
  body: TaskflowEventBody,
  now: () => Date = () => new Date(),
): void {
  sink({ ...body, timestamp: now().toISOString() });
}
