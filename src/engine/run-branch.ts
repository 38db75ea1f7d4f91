import { runAgent } from '../agent/run-agent.js';
import type { AgentPersona, RepairBudget } from '../agent/types.js';
import type { TaskDefinition } from '../definitions/types.js';
import { emitEvent } from '../events.js';
import { TaskflowError } from '../errors.js';
import { ZERO_USAGE, type Usage } from '../model/types.js';
import type { RequestCounters } from '../resilience/request-policy.js';
import type { TemplateRenderer } from '../templates/template-renderer.js';
import type { ResultSource } from './expand-items.js';
import { createModelCaller } from './model-caller.js';
import { renderAt } from './render-at.js';
import type { Branch, RunDependencies, RunState, TaskResult } from './run-types.js';
import { validateOutputs, valueFromSource, valueFromText } from './task-value.js';

/** Shared by all branches of one prompt task. */
export interface PromptTaskContext {
  readonly task: TaskDefinition;
  readonly state: RunState;
  readonly deps: RunDependencies;
  readonly renderer: TemplateRenderer;
  readonly personas: readonly AgentPersona[];
  readonly repairs: RepairBudget;
  readonly signal: AbortSignal;
  readonly headless: boolean;
  /** Accounting of the task's model requests (attempts, retries, waiting). */
  readonly counters: RequestCounters;
  /** The gate's ceiling for this task's concurrent requests. */
  readonly concurrencyLimit: number;
  /** Per branch index: the MCP results its agent received (restored ones first). */
  readonly toolResults: readonly ResultSource[][];
}

export interface BranchOutcome {
  readonly result: TaskResult;
  readonly usage: Usage;
  /** The branch had finished in an earlier run; nothing was executed now. */
  readonly reused?: boolean;
}

/** The template variables of a task (plus `result` for a repeat item). */
export function templateContext(
  task: TaskDefinition,
  state: RunState,
  branch?: Branch,
): Record<string, unknown> {
  return {
    globals: state.globals,
    inputs: task.inputs,
    outputs: state.outputs,
    ...(branch?.hasItem && { result: branch.item ?? null }),
  };
}

/**
 * One prompt of a task: render it, run the agent on the branch's model, and turn the run
 * into the branch result (`capture`), validated against `outputs`.
 */
export async function runBranch(
  context: PromptTaskContext,
  branch: Branch,
): Promise<BranchOutcome> {
  const { task, deps } = context;
  if (!task.userPrompt)
    throw new TaskflowError('internal', `task "${task.name}" has no user_prompt`);
  const prompt = renderAt(
    context.renderer,
    task.userPrompt,
    templateContext(task, context.state, branch),
    'user_prompt',
  );
  const restore = deps.recorder?.restoreBranch(task.index, branch.index, prompt, {
    excludeFromContext: task.excludeFromContext,
  });
  const toolResults = context.toolResults[branch.index] ?? [];
  if (restore?.kind === 'succeeded') {
    toolResults.push(...restore.toolResults);
    return { result: restore.result, usage: restore.usage, reused: true };
  }
  if (restore?.kind === 'continue') toolResults.push(...(restore.restored.toolResults ?? []));
  const target = deps.resolveModel(branch.modelName, {
    ...task.modelSettings,
    ...branch.modelSettings,
  });
  deps.redactor.add(target.token);
  const client = deps.createClient(target);
  const overrides = deps.resilienceOverrides?.(target);
  const location = { taskIndex: task.index, itemIndex: branch.index };
  deps.recorder?.itemStart(task.index, branch.index, deps.redactor.redact(prompt));
  const run = await runAgent({
    agents: context.personas,
    prompt,
    model: { id: target.modelId, settings: target.apiSettings },
    callModel: createModelCaller({
      client,
      onEvent: deps.onEvent,
      runtime: deps.resilience,
      target,
      concurrencyLimit: context.concurrencyLimit,
      counters: context.counters,
      ...(overrides && { overrides }),
      ...(deps.recorder && { recorder: deps.recorder }),
    }),
    ...(deps.recorder && { journal: deps.recorder.agentJournal(task.index, branch.index) }),
    ...(restore?.kind === 'continue' && { restored: restore.restored }),
    maxSteps: task.maxSteps,
    excludeFromContext: task.excludeFromContext,
    headless: context.headless,
    ...(deps.approve && { approve: deps.approve }),
    location,
    onEvent: deps.onEvent,
    signal: context.signal,
    repairs: context.repairs,
    requestKeyPrefix: `${task.index}.${branch.index}`,
    onToolResult: (record) => toolResults.push(record),
  });
  let source: ResultSource;
  let value: unknown;
  if (task.capture === 'response' || !run.lastToolResult) {
    if (task.capture === 'tool_result' && !task.excludeFromContext) {
      emitEvent(deps.onEvent, {
        type: 'warning',
        ...location,
        // Denied, blocked or failed calls leave no result either, so do not claim none was made.
        message: `task "${task.name}": no tool call returned a result; its result is the agent's answer`,
      });
    }
    source = { text: run.finalText };
    value = valueFromText(run.finalText);
  } else {
    source = run.lastToolResult;
    value = valueFromSource(run.lastToolResult);
  }
  if (task.outputs) value = validateOutputs(value, task.outputs, task.name);
  return { result: { value, source }, usage: run.usage ?? ZERO_USAGE };
}
