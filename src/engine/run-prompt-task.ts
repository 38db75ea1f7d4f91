import { setMaxListeners } from 'node:events';
import type { AgentPersona } from '../agent/types.js';
import type { PersonalityDefinition, TaskDefinition } from '../definitions/types.js';
import { emitEvent } from '../events.js';
import { errorMessage, isTaskflowError, TaskflowError } from '../errors.js';
import { addUsage, ZERO_USAGE, type Usage } from '../model/types.js';
import type { RequestCounters } from '../resilience/request-policy.js';
import type { TemplateRenderer } from '../templates/template-renderer.js';
import {
  deferredBranches,
  localBranchExecutor,
  type BranchSettlement,
  type DeferredBranches,
  type FanOut,
  type FanOutExecutor,
  type RemoteBranchExecutor,
} from './branch-executor.js';
import { itemsFromResult, itemsFromValue } from './expand-items.js';
import { evaluateAt } from './render-at.js';
import { runBranch, templateContext, type PromptTaskContext } from './run-branch.js';
import type { Branch, RunDependencies, RunState, TaskResult } from './run-types.js';
import { startTaskToolboxes } from './start-task-toolboxes.js';
import { buildPersonas, taskToolboxRefs } from './task-agents.js';
import type { EnvironmentMap } from './task-environment.js';
import { parseDenylist } from './task-environment.js';

/** Error codes that stop the whole run rather than failing one branch. */
const RUN_STOPPING = new Set(['cancelled', 'config', 'auth', 'quota', 'stopped']);

export function isRunStopping(error: unknown): boolean {
  return isTaskflowError(error) && RUN_STOPPING.has(error.code);
}

export interface PromptTaskOutcome {
  readonly succeeded: boolean;
  readonly itemCounts: { total: number; succeeded: number; failed: number };
  readonly result?: TaskResult;
  readonly error?: Error;
  readonly usage: Usage;
  /** Set when some branches were left to other processes: the task did not finish here. */
  readonly deferred?: DeferredBranches;
}

/** The items of a task: one (no item) unless repeat_prompt. */
export function expandItems(
  task: TaskDefinition,
  state: RunState,
  renderer: TemplateRenderer,
): { items: unknown[]; repeat: boolean } {
  if (!task.repeatPrompt) return { items: [undefined], repeat: false };
  if (task.over) {
    const value = evaluateAt(renderer, task.over, templateContext(task, state), 'over');
    if (value === undefined) {
      throw new TaskflowError(
        'iterable-invalid',
        `task "${task.name}": over "${task.over.text}" is undefined`,
      );
    }
    return {
      items: itemsFromValue(value, { taskName: task.name, source: `over "${task.over.text}"` }),
      repeat: true,
    };
  }
  return { items: itemsFromResult(state.toolResultStack.at(-1), task.name), repeat: true };
}

/**
 * After a repeat_prompt task without `over` has its items: the tool result it iterates is
 * consumed, as seclab pops it, so a later repeat_prompt with no tool call in between
 * iterates the result below it. Also applied when resume reuses the recorded items (the
 * stack is rebuilt task by task), where an empty stack is left alone.
 */
export function consumeIteratedResult(task: TaskDefinition, state: RunState): void {
  if (task.repeatPrompt && task.over === undefined) state.toolResultStack.pop();
}

/** How many branches of a task may run at once: items (async_limit) x models. */
export function branchLimit(task: TaskDefinition): number {
  const modelCount = task.models?.length ?? 1;
  const itemLimit = task.async ? task.asyncLimit : 1;
  const modelLimit = task.modelConcurrency === 0 ? modelCount : task.modelConcurrency;
  return itemLimit * modelLimit;
}

/** Items x models, item-major (results come back in this order). */
export function planBranches(
  task: TaskDefinition,
  items: readonly unknown[],
  repeat: boolean,
  defaultModel: string,
): Branch[] {
  const models = task.models ?? [{ model: task.model ?? defaultModel, modelSettings: {} }];
  const branches: Branch[] = [];
  items.forEach((item, itemIndex) => {
    for (const choice of models) {
      branches.push({
        index: branches.length,
        itemIndex,
        hasItem: repeat,
        ...(repeat && { item }),
        modelName: choice.model,
        modelSettings: choice.modelSettings,
      });
    }
  });
  return branches;
}

/**
 * A prompt task: toolboxes started once and shared, branches run under the concurrency
 * bounds, success decided by `completion`. A decided failure of a must_complete task
 * cancels the siblings still running.
 */
export async function runPromptTask(
  task: TaskDefinition,
  state: RunState,
  deps: RunDependencies,
  io: {
    renderer: TemplateRenderer;
    taskEnvironment: EnvironmentMap;
    signal: AbortSignal;
    branches: readonly Branch[];
    repeat: boolean;
    counters: RequestCounters;
  },
): Promise<PromptTaskOutcome> {
  // Only a fan-out's branches may run elsewhere (a shard, a plan); a single prompt runs here.
  const isFanOut = io.repeat || task.models !== undefined;
  const chosen: FanOutExecutor = isFanOut
    ? (deps.branchExecutor ?? localBranchExecutor)
    : localBranchExecutor;
  const fanOutBranches: FanOut = {
    taskIndex: task.index,
    taskName: task.name,
    branches: io.branches,
    concurrencyLimit: branchLimit(task),
    finished: deps.recorder?.finishedBranches(task.index) ?? new Set(),
  };
  if ('dispatch' in chosen) return runRemoteFanOut(task, state, deps, io, fanOutBranches, chosen);
  const executor = chosen;
  const here = executor.branchesHere(fanOutBranches);
  const leaveOpen = isFanOut && executor.leavesOpen(fanOutBranches);
  if (here.length === 0) {
    // Nothing runs here (a plan): its toolboxes are not even started.
    const deferred = deferredBranches(
      io.branches,
      io.branches.map(() => ({ status: 'elsewhere' as const })),
    );
    return {
      succeeded: true,
      itemCounts: { total: io.branches.length, succeeded: 0, failed: 0 },
      usage: ZERO_USAGE,
      ...(deferred && { deferred }),
    };
  }
  // Branches an earlier run finished are only reused: no server is needed for them.
  const reuseOnly = here.every((branch) => fanOutBranches.finished.has(branch.index));
  const agents = await startTaskAgents(task, state, deps, { ...io, noToolboxes: reuseOnly });
  const cancelSiblings = new AbortController();
  const signal = AbortSignal.any([io.signal, cancelSiblings.signal]);
  // Every in-flight request and tool call of the task listens on it (async_limit of them).
  setMaxListeners(0, signal);
  try {
    const context: PromptTaskContext = {
      task,
      state,
      deps,
      renderer: io.renderer,
      personas: agents.personas,
      repairs: { used: 0 },
      signal,
      headless: deps.headless || task.headless,
      counters: io.counters,
      concurrencyLimit: branchLimit(task),
      toolResults: io.branches.map(() => []),
    };
    const modelCount = task.models?.length ?? 1;
    let usage: Usage = ZERO_USAGE;
    let failures = 0;
    // Items whose failure is in the journal (an item-end): the manifest counts only those,
    // so a resume's coverage check finds every item the manifest calls finished.
    let recordedFailures = 0;
    const settled = await executor.execute(fanOutBranches, async (branch) => {
      signal.throwIfAborted();
      const location = { taskIndex: task.index, itemIndex: branch.index };
      emitEvent(deps.onEvent, {
        type: 'item-start',
        ...location,
        ...(modelCount > 1 && { label: branch.modelName }),
      });
      try {
        const outcome = await runBranch(context, branch);
        usage = addUsage(usage, outcome.usage);
        if (!outcome.reused) {
          deps.recorder?.itemEnd(task.index, branch.index, {
            status: 'succeeded',
            result: outcome.result,
          });
        }
        emitEvent(deps.onEvent, { type: 'item-end', ...location, status: 'succeeded' });
        return outcome.result;
      } catch (error) {
        failures++;
        // An interrupted item is not finished: it continues from its last turn on resume.
        if (!isRunStopping(error) && !signal.aborted) {
          recordedFailures++;
          deps.recorder?.itemEnd(task.index, branch.index, {
            status: 'failed',
            error: error instanceof Error ? error : new Error(String(error)),
          });
        }
        emitEvent(deps.onEvent, {
          type: 'item-end',
          ...location,
          status: 'failed',
          error: errorMessage(error),
        });
        const decided = task.completion === 'all' || failures === io.branches.length;
        if (isRunStopping(error) || (task.mustComplete && decided)) cancelSiblings.abort(error);
        throw error;
      }
    });
    // Siblings cancelled because a must_complete task already failed are failures of this
    // task, not an interruption of the run.
    const siblingsCancelled = cancelSiblings.signal.aborted && !io.signal.aborted;
    const stopping = settled.find(
      (entry) =>
        entry.status === 'rejected' &&
        isRunStopping(entry.reason) &&
        !(siblingsCancelled && isTaskflowError(entry.reason) && entry.reason.code === 'cancelled'),
    );
    // Branch by branch, so async items push in item order (deterministic, and what a resume
    // rebuilds from the journal); failed branches' results count too, as in seclab.
    for (const results of context.toolResults) state.toolResultStack.push(...results);
    if (stopping?.status === 'rejected') throw stopping.reason;
    io.signal.throwIfAborted();
    return summariseFanOut(task, io, settled, usage, leaveOpen, recordedFailures);
  } finally {
    await agents.close();
  }
}

/** A prompt task's agents with their toolboxes started (once, shared by its branches). */
export interface TaskAgents {
  readonly personas: readonly AgentPersona[];
  close(): Promise<void>;
}

/**
 * Starts the toolboxes of a prompt task's agents and builds the agents. `noToolboxes`: only
 * finished branches are reused, so no server is needed.
 */
export async function startTaskAgents(
  task: TaskDefinition,
  state: RunState,
  deps: RunDependencies,
  io: {
    readonly renderer: TemplateRenderer;
    readonly taskEnvironment: EnvironmentMap;
    readonly signal: AbortSignal;
    readonly noToolboxes?: boolean;
  },
): Promise<TaskAgents> {
  const personalities = task.agents.map((ref): PersonalityDefinition => {
    const personality = deps.loaded.personalities.get(ref);
    if (!personality) throw new TaskflowError('internal', `personality "${ref}" was not loaded`);
    return personality;
  });
  const toolboxes = await startTaskToolboxes({
    refs: io.noToolboxes ? [] : taskToolboxRefs(personalities, task.toolboxes),
    definitions: deps.loaded.toolboxes,
    renderer: io.renderer,
    taskEnvironment: io.taskEnvironment,
    denylist: parseDenylist(deps.environment),
    runner: deps.runner,
    workingDirectory: deps.workingDirectory,
    context: templateContext(task, state),
    logger: deps.logger,
    redactor: deps.redactor,
    pythonModuleChecks: state.pythonModuleChecks,
    signal: io.signal,
    // Start retries and restarts are worth telling the user about, not just the log.
    resilience: {
      onWarning: (message) => {
        deps.logger.warn(message);
        emitEvent(deps.onEvent, { type: 'warning', taskIndex: task.index, message });
      },
    },
  });
  return {
    personas: buildPersonas(personalities, task.toolboxes, toolboxes.started, task.blockedTools),
    close: () => toolboxes.close(),
  };
}

/**
 * A fan-out whose branches run in other processes (a queue's workers): no toolbox starts
 * here; item events follow the branches as they report, and the results fold in as if they
 * had run here (the result stack in ordinal order, failed branches' results included).
 */
async function runRemoteFanOut(
  task: TaskDefinition,
  state: RunState,
  deps: RunDependencies,
  io: { signal: AbortSignal; branches: readonly Branch[]; repeat: boolean },
  fanOut: FanOut,
  executor: RemoteBranchExecutor,
): Promise<PromptTaskOutcome> {
  const modelCount = task.models?.length ?? 1;
  const labelOf = (ordinal: number) => {
    const branch = io.branches[ordinal];
    return modelCount > 1 && branch ? { label: branch.modelName } : {};
  };
  let usage: Usage = ZERO_USAGE;
  const ends = await executor.dispatch({
    fanOut,
    task,
    globals: state.globals,
    outputs: state.outputs,
    headless: deps.headless || task.headless,
    signal: io.signal,
    onBranchStart: (ordinal) =>
      emitEvent(deps.onEvent, {
        type: 'item-start',
        taskIndex: task.index,
        itemIndex: ordinal,
        ...labelOf(ordinal),
      }),
    onBranchEnd: (ordinal, end) => {
      usage = addUsage(usage, end.usage);
      emitEvent(deps.onEvent, {
        type: 'item-end',
        taskIndex: task.index,
        itemIndex: ordinal,
        status: end.status,
        ...(end.status === 'failed' && { error: errorMessage(end.error) }),
      });
    },
  });
  for (const end of ends) state.toolResultStack.push(...end.toolResults);
  io.signal.throwIfAborted();
  const settled = ends.map((end): BranchSettlement<TaskResult> =>
    end.status === 'succeeded' && end.result
      ? { status: 'fulfilled', value: end.result }
      : { status: 'rejected', reason: end.error ?? new Error('the branch failed') },
  );
  const failed = settled.filter((entry) => entry.status === 'rejected').length;
  return summariseFanOut(task, io, settled, usage, false, failed);
}

/** The outcome of a fan-out from its settled branches (ordinal order), wherever they ran. */
function summariseFanOut(
  task: TaskDefinition,
  io: { readonly branches: readonly Branch[]; readonly repeat: boolean },
  settled: readonly BranchSettlement<TaskResult>[],
  usage: Usage,
  leaveOpen: boolean,
  /** Failed items that ended (in the journal): cancelled ones that never ended are not. */
  failedItems: number,
): PromptTaskOutcome {
  const values = settled.map((entry) => (entry.status === 'fulfilled' ? entry.value : undefined));
  const firstError = settled.find(
    (entry): entry is PromiseRejectedResult => entry.status === 'rejected',
  );
  const firstFailure =
    firstError &&
    (firstError.reason instanceof Error ? firstError.reason : new Error(String(firstError.reason)));
  const deferred = deferredBranches(io.branches, settled, leaveOpen);
  if (deferred) {
    return {
      succeeded: deferred.failed.length === 0,
      itemCounts: {
        total: io.branches.length,
        succeeded: deferred.succeeded.length,
        failed: deferred.failed.length,
      },
      ...(firstFailure && { error: firstFailure }),
      usage,
      deferred,
    };
  }
  const succeededCount = values.filter((value) => value !== undefined).length;
  const succeeded =
    task.completion === 'all'
      ? firstError === undefined
      : succeededCount > 0 || io.branches.length === 0;
  const fanOut = io.repeat || (task.models?.length ?? 1) > 1;
  const result: TaskResult | undefined = fanOut ? aggregate(values) : values[0];
  return {
    succeeded,
    itemCounts: {
      total: io.branches.length,
      succeeded: succeededCount,
      failed: failedItems,
    },
    ...(result && { result }),
    ...(!succeeded && firstFailure && { error: firstFailure }),
    usage,
  };
}

/** Fan-out result: the list of branch values in branch order (failed branches are null). */
function aggregate(values: readonly (TaskResult | undefined)[]): TaskResult {
  const list = values.map((value) => (value === undefined ? null : value.value));
  return { value: list, source: { text: JSON.stringify(list), structuredContent: list } };
}
