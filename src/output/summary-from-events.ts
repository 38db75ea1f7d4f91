/**
 * Collects a run summary from the event stream, for the tty end table and the
 * GITHUB_STEP_SUMMARY Markdown.
 */
import type { EventSink, TaskflowEvent } from '../events.js';

export interface RunSummaryTask {
  /** The event's 0-based taskIndex (shown 1-based). */
  index: number;
  name: string;
  /**
   * `succeeded` / `failed` / `skipped` from its task-end; without one, `running` until the
   * run ends and then the run's status (`interrupted`, `stopped`, ...), timed to that end.
   */
  status: string;
  durationMs: number;
  inputTokens: number;
  outputTokens: number;
  /** model-retry events seen for this task. */
  retries: number;
  /** task-end's error (a failed task). */
  error?: string;
  /** A failed shell task's last stderr lines (unsanitised: renderers strip escapes). */
  stderr?: string[];
  /** Finished in an earlier run and reused by this resume. */
  restored?: boolean;
}

export interface RunSummary {
  sessionId: string;
  taskflow: string;
  /** taskflow-end's status, or `running` before it arrived. */
  status: string;
  /** taskflow-end's exit code, or -1 before it arrived (callers may override). */
  exitCode: number;
  /** taskflow-end's error (failed, stopped or interrupted runs). */
  error?: string;
  durationMs: number;
  /** Ordered by task index. */
  tasks: RunSummaryTask[];
  usage: { inputTokens: number; outputTokens: number };
  /**
   * Time model requests waited, summed over tasks: for the pacer's budget, and before
   * retries (429 and other back-off). Absent when nothing waited.
   */
  waiting?: { pacedMs: number; waitMs: number };
}

export interface SummaryCollector {
  readonly onEvent: EventSink;
  /** A fresh copy; undefined until taskflow-start was seen. */
  summary(): RunSummary | undefined;
}

/** A sink that builds a {@link RunSummary}; combine it with the reporter's sink. */
export function summaryFromEvents(): SummaryCollector {
  let run: { sessionId: string; taskflow: string; startedAt: number; lastAt: number } | undefined;
  let end: Extract<TaskflowEvent, { type: 'taskflow-end' }> | undefined;
  let endedAt = 0;
  const tasks = new Map<number, RunSummaryTask>();
  const waiting = { pacedMs: 0, waitMs: 0 };
  /** task-start times of tasks without a task-end yet. */
  const startedAt = new Map<number, number>();

  const taskAt = (index: number, name = `task-${index + 1}`): RunSummaryTask => {
    let task = tasks.get(index);
    if (task === undefined) {
      task = {
        index,
        name,
        status: 'running',
        durationMs: 0,
        inputTokens: 0,
        outputTokens: 0,
        retries: 0,
      };
      tasks.set(index, task);
    }
    return task;
  };

  const onEvent: EventSink = (event) => {
    const at = Date.parse(event.timestamp);
    if (run !== undefined && Number.isFinite(at)) run.lastAt = Math.max(run.lastAt, at);
    switch (event.type) {
      case 'taskflow-start':
        run = {
          sessionId: event.sessionId,
          taskflow: event.taskflow,
          startedAt: Number.isFinite(at) ? at : 0,
          lastAt: Number.isFinite(at) ? at : 0,
        };
        end = undefined;
        break;
      case 'task-start':
        taskAt(event.taskIndex).name = event.taskName;
        if (Number.isFinite(at)) startedAt.set(event.taskIndex, at);
        break;
      case 'model-retry':
        taskAt(event.taskIndex).retries += 1;
        break;
      case 'task-end': {
        const task = taskAt(event.taskIndex, event.taskName);
        task.name = event.taskName;
        task.status = event.status;
        task.durationMs = event.durationMs;
        task.inputTokens = event.usage.inputTokens;
        task.outputTokens = event.usage.outputTokens;
        if (event.error !== undefined) task.error = event.error;
        if (event.stderr !== undefined && event.stderr.length > 0) task.stderr = [...event.stderr];
        if (event.restored === true) task.restored = true;
        waiting.pacedMs += event.pacedMs ?? 0;
        waiting.waitMs += event.waitMs ?? 0;
        startedAt.delete(event.taskIndex);
        break;
      }
      case 'taskflow-end':
        end = event;
        endedAt = Number.isFinite(at) ? at : 0;
        break;
      default:
        break;
    }
  };

  /** A task the run ended during (cancellation and stops end the run without a task-end). */
  const unfinished = (task: RunSummaryTask): RunSummaryTask => {
    const started = startedAt.get(task.index);
    return {
      ...task,
      status: end?.status ?? task.status,
      durationMs: started === undefined ? 0 : Math.max(0, endedAt - started),
    };
  };

  const summary = (): RunSummary | undefined => {
    if (run === undefined) return undefined;
    const taskList = [...tasks.values()]
      .sort((a, b) => a.index - b.index)
      .map((task) => (task.status === 'running' && end ? unfinished(task) : { ...task }));
    const summedUsage = taskList.reduce(
      (sum, task) => ({
        inputTokens: sum.inputTokens + task.inputTokens,
        outputTokens: sum.outputTokens + task.outputTokens,
      }),
      { inputTokens: 0, outputTokens: 0 },
    );
    return {
      sessionId: run.sessionId,
      taskflow: run.taskflow,
      status: end?.status ?? 'running',
      exitCode: end?.exitCode ?? -1,
      ...(end?.error !== undefined && { error: end.error }),
      durationMs: end?.durationMs ?? run.lastAt - run.startedAt,
      tasks: taskList,
      usage: end
        ? { inputTokens: end.usage.inputTokens, outputTokens: end.usage.outputTokens }
        : summedUsage,
      ...((waiting.pacedMs > 0 || waiting.waitMs > 0) && { waiting: { ...waiting } }),
    };
  };

  return { onEvent, summary };
}
