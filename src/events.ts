/**
 * The typed events the engine emits (cli.md "Event contract"). Reporters consume them;
 * the engine never knows which reporter is active. `type` and the listed fields are public
 * API of `--output jsonl`.
 */
import type { Usage } from './model/types.js';

export type TaskStatus = 'succeeded' | 'failed' | 'skipped';
export type RunStatus = 'succeeded' | 'failed' | 'stopped' | 'interrupted';
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
      error?: string;
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
