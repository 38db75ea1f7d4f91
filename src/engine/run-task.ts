import type { TaskDefinition } from '../definitions/types.js';
import { formatDuration } from '../definitions/duration.js';
import { emitEvent } from '../events.js';
import { errorMessage, TaskflowError } from '../errors.js';
import { ZERO_USAGE, type Usage } from '../model/types.js';
import {
  createTemplateRenderer,
  isTruthy,
  type TemplateRenderer,
} from '../templates/template-renderer.js';
import { evaluateAt } from './render-at.js';
import { templateContext } from './run-branch.js';
import { expandItems, isRunStopping, planBranches, runPromptTask } from './run-prompt-task.js';
import { runShellTask } from './run-shell-task.js';
import type { RunDependencies, RunState, TaskOutcome, TaskResult } from './run-types.js';
import {
  buildTaskEnvironment,
  parseDenylist,
  shellEnvironment,
  type EnvironmentMap,
} from './task-environment.js';
import { validateOutputs, valueFromText } from './task-value.js';

/** A renderer whose env() sees `environment`; env values read are registered as secrets. */
export function rendererFor(environment: EnvironmentMap, deps: RunDependencies): TemplateRenderer {
  return createTemplateRenderer({
    environment,
    resolvePrompt: (name) => {
      const prompt = deps.loaded.prompts.get(name);
      if (!prompt) throw new TaskflowError('reference-unresolved', `unknown prompt "${name}"`);
      return { text: prompt.prompt, filePath: prompt.filePath };
    },
    onEnvRead: (_name, value) => deps.redactor.add(value),
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
  const started = Date.now();
  let usage: Usage = ZERO_USAGE;
  const end = (
    status: TaskOutcome['status'],
    extra: { result?: TaskResult; error?: Error } = {},
  ): TaskOutcome => {
    const durationMs = Date.now() - started;
    emitEvent(deps.onEvent, {
      type: 'task-end',
      taskIndex: task.index,
      taskName: task.name,
      status,
      durationMs,
      usage,
      ...(extra.error && { error: errorMessage(extra.error) }),
    });
    return { status, usage, durationMs, ...extra };
  };
  const parentRenderer = rendererFor(deps.environment, deps);
  if (
    task.if &&
    !isTruthy(evaluateAt(parentRenderer, task.if, templateContext(task, state), 'if'))
  ) {
    emitEvent(deps.onEvent, {
      type: 'task-start',
      taskIndex: task.index,
      taskName: task.name,
      itemCount: 0,
    });
    return end('skipped');
  }
  const timeoutSignal =
    task.timeoutMs === undefined ? undefined : AbortSignal.timeout(task.timeoutMs);
  const signal = timeoutSignal ? AbortSignal.any([deps.signal, timeoutSignal]) : deps.signal;
  try {
    const taskEnvironment = buildTaskEnvironment(
      deps.environment,
      task.env,
      parentRenderer,
      templateContext(task, state),
    );
    let result: TaskResult | undefined;
    if (task.run !== undefined) {
      emitEvent(deps.onEvent, {
        type: 'task-start',
        taskIndex: task.index,
        taskName: task.name,
        itemCount: 1,
      });
      const shell = await runShellTask({
        script: task.run,
        environment: shellEnvironment(taskEnvironment, parseDenylist(deps.environment)),
        workingDirectory: deps.workingDirectory,
        signal,
        onStderrLine: (line) => deps.logger.debug(`[task ${task.index + 1} stderr] ${line}`),
      });
      result = { value: valueFromText(shell.stdout), source: { text: shell.stdout } };
      if (task.outputs)
        result = { ...result, value: validateOutputs(result.value, task.outputs, task.name) };
    } else {
      const renderer = rendererFor(taskEnvironment, deps);
      const { items, repeat } = expandItems(task, state, renderer);
      const branches = planBranches(task, items, repeat, deps.defaultModel);
      emitEvent(deps.onEvent, {
        type: 'task-start',
        taskIndex: task.index,
        taskName: task.name,
        itemCount: branches.length,
      });
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
        });
        usage = outcome.usage;
        if (!outcome.succeeded)
          return end('failed', {
            error: outcome.error ?? new TaskflowError('task-failed', `task "${task.name}" failed`),
          });
        result = outcome.result;
      }
    }
    if (result) {
      state.lastResult = result.source;
      if (task.id !== undefined) state.outputs[task.id] = result.value;
    }
    return end('succeeded', result ? { result } : {});
  } catch (error) {
    if (deps.signal.aborted) throw new TaskflowError('cancelled', 'interrupted', { cause: error });
    if (timeoutSignal?.aborted) {
      return end('failed', {
        error: new TaskflowError(
          'task-failed',
          `task "${task.name}" timed out after ${formatDuration(task.timeoutMs ?? 0)}`,
          { cause: error, taskIndex: task.index },
        ),
      });
    }
    if (isRunStopping(error)) throw error;
    return end('failed', { error: error instanceof Error ? error : new Error(String(error)) });
  }
}
