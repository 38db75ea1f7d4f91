import type { TaskDefinition } from '../definitions/types.js';
import { formatDuration } from '../duration.js';
import { emitEvent } from '../events.js';
import { errorMessage, isTaskflowError, TaskflowError } from '../errors.js';
import { ZERO_USAGE, type Usage } from '../model/types.js';
import {
  createTemplateRenderer,
  isTruthy,
  type TemplateRenderer,
} from '../templates/template-renderer.js';
import { createRequestCounters } from '../resilience/request-policy.js';
import { evaluateAt } from './render-at.js';
import type { FinishedTask } from './run-recorder.js';
import { templateContext } from './run-branch.js';
import {
  consumeIteratedResult,
  expandItems,
  isRunStopping,
  planBranches,
  runPromptTask,
} from './run-prompt-task.js';
import { runShellTask } from './run-shell-task.js';
import type { RunDependencies, RunState, TaskOutcome, TaskResult } from './run-types.js';
import {
  buildTaskEnvironment,
  parseDenylist,
  shellEnvironment,
  type EnvironmentMap,
} from './task-environment.js';
import { validateOutputs, valueFromText } from './task-value.js';

/** A renderer whose env() sees `environment`; env values read that are secrets are registered. */
export function rendererFor(environment: EnvironmentMap, deps: RunDependencies): TemplateRenderer {
  return createTemplateRenderer({
    environment,
    resolvePrompt: (name) => {
      const prompt = deps.loaded.prompts.get(name);
      if (!prompt) throw new TaskflowError('reference-unresolved', `unknown prompt "${name}"`);
      return { text: prompt.prompt, filePath: prompt.filePath };
    },
    onEnvRead: (name, value) => deps.redactor.addNamed(name, value),
  });
}

/**
 * Run one task: `if`, environment, shell or prompt, result, `outputs`, events.
 * A task failure is returned as an outcome; errors that stop the run (cancellation,
 * configuration, quota) are thrown.
 */
export async function runTask(
  task: TaskDefinition,
  state: RunState,
  deps: RunDependencies,
): Promise<TaskOutcome> {
  const finished = deps.recorder?.finishedTask(task.index);
  if (finished) return reuseFinishedTask(task, state, deps, finished);
  const started = Date.now();
  let usage: Usage = ZERO_USAGE;
  const counters = createRequestCounters();
  let itemCounts: { total: number; succeeded: number; failed: number } | undefined;
  let announced = false;
  const announce = (itemCount: number, items?: unknown[]): void => {
    announced = true;
    deps.recorder?.taskStart(task.index, {
      name: task.name,
      itemCount,
      ...(items !== undefined && { items }),
      ...(task.id !== undefined && { outputId: task.id }),
      // With the items, the branch list of a fan-out over models (item-major).
      ...(task.run === undefined &&
        task.models !== undefined && { models: task.models.map((choice) => choice.model) }),
    });
    emitEvent(deps.onEvent, {
      type: 'task-start',
      taskIndex: task.index,
      taskName: task.name,
      itemCount,
    });
  };
  const end = (
    status: TaskOutcome['status'],
    extra: { result?: TaskResult; error?: Error } = {},
  ): TaskOutcome => {
    // Consumers pair task-start with task-end, also for tasks that failed before their
    // items were known.
    if (!announced) announce(0);
    const durationMs = Date.now() - started;
    deps.recorder?.taskEnd(task.index, {
      status,
      ...extra,
      usage,
      durationMs,
      waitMs: counters.waitMs,
      pacedMs: counters.pacedMs,
      ...(itemCounts && { itemCounts }),
    });
    emitEvent(deps.onEvent, {
      type: 'task-end',
      taskIndex: task.index,
      taskName: task.name,
      status,
      durationMs,
      usage,
      ...(counters.pacedMs > 0 && { pacedMs: counters.pacedMs }),
      ...(counters.waitMs > 0 && { waitMs: counters.waitMs }),
      ...(extra.error && describeFailure(extra.error, task.run !== undefined)),
    });
    return { status, usage, durationMs, ...extra };
  };
  const parentRenderer = rendererFor(deps.environment, deps);
  const timeoutSignal =
    task.timeoutMs === undefined ? undefined : AbortSignal.timeout(task.timeoutMs);
  const signal = timeoutSignal ? AbortSignal.any([deps.signal, timeoutSignal]) : deps.signal;
  try {
    // Inside the try: an `if` that cannot be evaluated fails this task, like any other
    // template of the task, instead of stopping the run as a usage error after tasks ran.
    if (
      task.if &&
      !isTruthy(evaluateAt(parentRenderer, task.if, templateContext(task, state), 'if'))
    ) {
      return end('skipped');
    }
    const taskEnvironment = buildTaskEnvironment(
      deps.environment,
      task.env,
      parentRenderer,
      templateContext(task, state),
    );
    let result: TaskResult | undefined;
    if (task.run !== undefined) {
      announce(1);
      const shell = await runShellTask({
        script: task.run,
        environment: shellEnvironment(taskEnvironment, parseDenylist(deps.environment)),
        workingDirectory: deps.workingDirectory,
        signal,
        onStderrLine: (line) => deps.logger.debug(`[task ${task.index + 1} stderr] ${line}`),
      });
      result = { value: valueFromText(shell.stdout), source: { text: shell.stdout } };
      // seclab puts a shell task's output on the result stack like a tool result.
      state.toolResultStack.push(result.source);
      if (task.outputs)
        result = { ...result, value: validateOutputs(result.value, task.outputs, task.name) };
    } else {
      const renderer = rendererFor(taskEnvironment, deps);
      // On resume the items recorded when the task first started are iterated again.
      const recorded = task.repeatPrompt ? deps.recorder?.recordedItems(task.index) : undefined;
      const { items, repeat } = recorded
        ? { items: recorded, repeat: true }
        : expandItems(task, state, renderer);
      consumeIteratedResult(task, state);
      const branches = planBranches(task, items, repeat, deps.defaultModel);
      announce(branches.length, repeat ? items : undefined);
      if (branches.length === 0) {
        emitEvent(deps.onEvent, {
          type: 'warning',
          taskIndex: task.index,
          message: `task "${task.name}": nothing to iterate (empty list); the task succeeds with no items`,
        });
        result = { value: [], source: { text: '[]', structuredContent: [] } };
      } else {
        const outcome = await runPromptTask(task, state, deps, {
          renderer,
          taskEnvironment,
          signal,
          branches,
          repeat,
          counters,
        });
        usage = outcome.usage;
        itemCounts = outcome.itemCounts;
        if (outcome.deferred) {
          // Branches left to other processes: the task stays unfinished (no task-end).
          const durationMs = Date.now() - started;
          deps.recorder?.taskDeferred(task.index, {
            usage,
            itemCounts,
            waitMs: counters.waitMs,
            pacedMs: counters.pacedMs,
          });
          return {
            status: outcome.succeeded ? 'succeeded' : 'failed',
            usage,
            durationMs,
            deferred: outcome.deferred,
            ...(outcome.error && { error: outcome.error }),
          };
        }
        if (!outcome.succeeded)
          return end('failed', {
            error: outcome.error ?? new TaskflowError('task-failed', `task "${task.name}" failed`),
          });
        result = outcome.result;
      }
    }
    if (result) {
      if (task.id !== undefined) {
        state.outputs[task.id] = result.value;
        deps.recorder?.recordOutput(task.id, result.value);
      }
    }
    return end('succeeded', result ? { result } : {});
  } catch (error) {
    if (deps.signal.aborted) throw new TaskflowError('cancelled', 'interrupted', { cause: error });
    if (timeoutSignal?.aborted) {
      return end('failed', {
        error: new TaskflowError(
          'task-failed',
          `task "${task.name}" timed out after ${formatDuration(task.timeoutMs ?? 0)}`,
          // A shell task's stderr tail says what it was doing when time ran out.
          { cause: error, taskIndex: task.index, details: detailsOf(error) },
        ),
      });
    }
    if (isRunStopping(error)) throw error;
    return end('failed', { error: error instanceof Error ? error : new Error(String(error)) });
  }
}

/** A task an earlier run of the session finished: publish its result, run nothing. */
function reuseFinishedTask(
  task: TaskDefinition,
  state: RunState,
  deps: RunDependencies,
  finished: FinishedTask,
): TaskOutcome {
  if (finished.result && task.id !== undefined) state.outputs[task.id] = finished.result.value;
  // Replay the task's effect on the result stack, as it ran.
  if (finished.status === 'succeeded') {
    if (task.run !== undefined) {
      if (finished.result) state.toolResultStack.push(finished.result.source);
    } else {
      consumeIteratedResult(task, state);
      state.toolResultStack.push(...finished.toolResults);
    }
  }
  emitEvent(deps.onEvent, {
    type: 'task-start',
    taskIndex: task.index,
    taskName: task.name,
    itemCount: finished.itemCount,
  });
  emitEvent(deps.onEvent, {
    type: 'task-end',
    taskIndex: task.index,
    taskName: task.name,
    status: finished.status,
    durationMs: finished.durationMs,
    usage: finished.usage,
    restored: true,
  });
  return {
    status: finished.status,
    usage: finished.usage,
    durationMs: finished.durationMs,
    ...(finished.result && { result: finished.result }),
  };
}

/**
 * The error fields of task-end. A shell task's detail lines are its stderr tail, kept apart
 * in `stderr` for the reporters to show; other errors carry theirs below the message.
 */
function describeFailure(error: Error, isShell: boolean): { error: string; stderr?: string[] } {
  const details = detailsOf(error);
  if (isShell)
    return { error: errorMessage(error), ...(details.length > 0 && { stderr: details }) };
  return { error: [errorMessage(error), ...details].join('\n') };
}

function detailsOf(error: unknown): string[] {
  return isTaskflowError(error) ? [...error.details] : [];
}
