import { isTaskflowError, type ErrorCode } from '../errors.js';
import { addUsage, ZERO_USAGE } from '../model/types.js';
import type { DeferredBranches } from './branch-executor.js';
import { runTask } from './run-task.js';
import type { RunDependencies, RunState, TaskOutcome } from './run-types.js';

export type RunEnd =
  | { readonly status: 'succeeded' }
  | { readonly status: 'failed'; readonly failedTasks: readonly number[]; readonly error?: Error }
  | { readonly status: 'stopped'; readonly error: Error; readonly code: ErrorCode }
  | {
      /** A fan-out left branches to other processes (a plan, a shard): the run stopped there. */
      readonly status: 'deferred';
      readonly taskIndex: number;
      readonly branches: DeferredBranches;
      /** Tasks that failed before it (run goes on past them) and the fan-out itself, if so. */
      readonly failedTasks: readonly number[];
      readonly error?: Error;
    };

export interface RunResult {
  readonly end: RunEnd;
  readonly state: RunState;
  readonly outcomes: readonly (TaskOutcome | undefined)[];
}

/**
 * Run the tasks of a loaded taskflow in order (execution.md "A run"):
 * a failed must_complete task stops the run; other failures are recorded and the run
 * goes on; errors that stop the run (cancellation, config, quota) end it at once.
 * Emits task events; the caller emits taskflow-start/end (it owns the session).
 */
export async function runTaskflow(
  deps: RunDependencies,
  globals: Readonly<Record<string, unknown>>,
): Promise<RunResult> {
  const state: RunState = {
    globals,
    outputs: {},
    toolResultStack: [],
    pythonModuleChecks: new Map(),
    usage: ZERO_USAGE,
  };
  const outcomes: (TaskOutcome | undefined)[] = [];
  const failedTasks: number[] = [];
  let firstError: Error | undefined;
  for (const task of deps.loaded.tasks) {
    let outcome: TaskOutcome;
    try {
      outcome = await runTask(task, state, deps);
    } catch (error) {
      const code: ErrorCode = isTaskflowError(error) ? error.code : 'internal';
      return {
        end: {
          status: 'stopped',
          error: error instanceof Error ? error : new Error(String(error)),
          code,
        },
        state,
        outcomes,
      };
    }
    outcomes[task.index] = outcome;
    state.usage = addUsage(state.usage, outcome.usage);
    if (outcome.deferred) {
      const failed = outcome.status === 'failed' ? [...failedTasks, task.index] : failedTasks;
      const error = firstError ?? outcome.error;
      return {
        end: {
          status: 'deferred',
          taskIndex: task.index,
          branches: outcome.deferred,
          failedTasks: failed,
          ...(error && { error }),
        },
        state,
        outcomes,
      };
    }
    if (outcome.status !== 'failed') continue;
    failedTasks.push(task.index);
    firstError ??= outcome.error;
    if (task.mustComplete) break;
  }
  if (failedTasks.length > 0)
    return {
      end: { status: 'failed', failedTasks, ...(firstError && { error: firstError }) },
      state,
      outcomes,
    };
  return { end: { status: 'succeeded' }, state, outcomes };
}
