import { emitEvent } from '../events.js';
import { TaskflowError } from '../errors.js';
import {
  addUsage,
  ZERO_USAGE,
  type ConversationItem,
  type ToolSpec,
  type Usage,
} from '../model/types.js';
import { askWithContextRepair, CONTEXT_REPAIRS_PER_TURN } from './context-repair.js';
import { handoffToolName } from './tool-names.js';
import { runToolRound, type ToolRoundResult } from './tool-round.js';
import type { AgentPersona, AgentRunInput, AgentRunResult, ToolResultRecord } from './types.js';

export const REPAIRS_PER_TURN = 3;
export const REPAIRS_PER_TASK = 10;
export const NUDGE_MESSAGE = 'Continue the task. When it is complete, give your final answer.';

function handoffSpecs(agents: readonly AgentPersona[]): ToolSpec[] {
  return agents.slice(1).map((agent) => ({
    name: handoffToolName(agent.name),
    description: `Hand the conversation over to ${agent.name}: ${agent.summary}`,
    parameters: { type: 'object', properties: {} },
  }));
}

/**
 * One agent run: model turns bounded by `maxSteps`, tool calls executed in parallel,
 * handoffs switching the active agent, model mistakes repaired within budget.
 * Every complete turn and tool outcome goes to the journal before it counts as done.
 * With `restored`, the run continues from a checkpoint: pending calls of the last turn
 * are settled first, and nothing that has a recorded result is executed again.
 *
 * @throws TaskflowError 'max-steps' when the model has not finished after maxSteps turns
 * @throws TaskflowError 'model-behavior' when repairs exceed their budget
 * @throws ModelError class 'context-overflow' when the conversation is still too long after
 *   shortening the oldest tool results `CONTEXT_REPAIRS_PER_TURN` times in one turn
 * @throws whatever `callModel` throws (classified model errors, cancellation)
 */
export async function runAgent(input: AgentRunInput): Promise<AgentRunResult> {
  const primary = input.agents[0];
  if (!primary) throw new TaskflowError('internal', 'an agent run needs at least one agent');
  const restored = input.restored;
  const conversation: ConversationItem[] = restored
    ? [...restored.conversation]
    : [{ role: 'user', content: input.prompt }];
  let active = input.agents.find((agent) => agent.name === restored?.activeAgent) ?? primary;
  let turns = restored?.turns ?? 0;
  let usage: Usage = restored?.usage ?? ZERO_USAGE;
  let lastToolResult: ToolResultRecord | undefined = restored?.lastToolResult;
  let nudged = restored?.nudged ?? false;
  const repairs = input.repairs ?? { used: 0 };
  const { location, onEvent } = input;
  const result = (finalText: string): AgentRunResult => ({
    finalText,
    ...(lastToolResult && { lastToolResult }),
    usage,
    turns,
    conversation,
  });
  const handoffTargets = () =>
    active === primary ? input.agents.slice(1).map((agent) => agent.name) : [];

  /** Apply a settled round; returns the run's result when the run ends here. */
  const afterRound = (round: ToolRoundResult): AgentRunResult | undefined => {
    // The results of the calls that ran count even when this round ends the run below.
    for (const answer of round.answers) {
      if (!answer?.record) continue;
      lastToolResult = answer.record;
      input.onToolResult?.(answer.record);
    }
    if (round.repairs > REPAIRS_PER_TURN) {
      throw new TaskflowError(
        'model-behavior',
        `the model made ${round.repairs} invalid tool calls in one turn (limit ${REPAIRS_PER_TURN})`,
        {
          taskIndex: location.taskIndex,
        },
      );
    }
    spendRepairs(repairs, round.repairs, location.taskIndex);
    if (round.handoffTo !== undefined) {
      const target = input.agents.find((agent) => agent.name === round.handoffTo);
      if (target) {
        emitEvent(onEvent, { type: 'handoff', ...location, from: active.name, to: target.name });
        active = target;
      }
    }
    // A round in which no tool ran (only repairs or a handoff) has no result to stop on.
    const toolRan = round.answers.some(
      (answer) => answer !== undefined && answer.status !== 'repair' && answer.status !== 'handoff',
    );
    return input.excludeFromContext && toolRan ? result('') : undefined;
  };

  if (restored?.finalText !== undefined) return result(restored.finalText);
  const lastMessage = conversation.findLast((item) => item.role === 'assistant');
  if (
    restored?.pendingCalls &&
    restored.pendingCalls.length > 0 &&
    lastMessage?.role === 'assistant'
  ) {
    const pending = new Map(
      restored.pendingCalls.map((entry) => [entry.call.id, { hadIntent: entry.hadIntent }]),
    );
    const round = await runToolRound(
      lastMessage.toolCalls,
      input,
      active,
      handoffTargets(),
      conversation,
      pending,
    );
    const finished = afterRound(round);
    if (finished) return finished;
  } else if (
    restored &&
    input.excludeFromContext &&
    lastMessage?.role === 'assistant' &&
    lastMessage.toolCalls.length > 0
  ) {
    // Every call of the last turn already has its result: the round is complete.
    return result('');
  }

  for (;;) {
    input.signal?.throwIfAborted();
    if (turns >= input.maxSteps) {
      throw new TaskflowError(
        'max-steps',
        `the agent did not finish within max_steps (${input.maxSteps} model turns)`,
        {
          taskIndex: location.taskIndex,
        },
      );
    }
    const targets = handoffTargets();
    const tools = [
      ...active.router.specs,
      ...(targets.length > 0 ? handoffSpecs(input.agents) : []),
    ];
    const requestKey = `${input.requestKeyPrefix ?? `${location.taskIndex}.${location.itemIndex}`}.turn${turns}`;
    // A context overflow shortens old tool results and re-asks under the same request key,
    // so the re-asks spend this request's attempt budget.
    const response = await askWithContextRepair(
      () =>
        input.callModel(
          {
            model: input.model.id,
            instructions: active.instructions,
            conversation,
            tools,
            settings: input.model.settings,
          },
          {
            requestKey,
            location,
            ...(input.signal && { signal: input.signal }),
            onTextDelta: (text) =>
              emitEvent(onEvent, { type: 'text-delta', ...location, text, agent: active.name }),
          },
        ),
      conversation,
      (repair) =>
        emitEvent(onEvent, {
          type: 'warning',
          ...location,
          message: `the conversation is too long for model ${input.model.id}: shortened ${repair.shortened} tool result(s) by ${repair.removedChars} characters and asking again (repair ${repair.repair}/${CONTEXT_REPAIRS_PER_TURN})`,
        }),
    );
    turns++;
    usage = addUsage(usage, response.usage);
    if (response.finishReason === 'content_filter') {
      throw new TaskflowError('model', 'the model response was blocked by the content filter', {
        taskIndex: location.taskIndex,
      });
    }
    const message = {
      role: 'assistant' as const,
      content: response.text,
      toolCalls: response.toolCalls,
    };
    conversation.push(message);
    await input.journal?.turnCommitted({
      turn: turns,
      agent: active.name,
      message,
      usage: response.usage,
    });

    if (response.toolCalls.length === 0) {
      if (response.text.trim() === '' && !nudged && response.finishReason === 'stop') {
        nudged = true;
        spendRepairs(repairs, 1, location.taskIndex);
        conversation.push({ role: 'user', content: NUDGE_MESSAGE });
        continue;
      }
      return result(response.text);
    }
    const round = await runToolRound(response.toolCalls, input, active, targets, conversation);
    const finished = afterRound(round);
    if (finished) return finished;
  }
}

function spendRepairs(repairs: { used: number }, count: number, taskIndex: number): void {
  if (count === 0) return;
  repairs.used += count;
  if (repairs.used > REPAIRS_PER_TASK) {
    throw new TaskflowError(
      'model-behavior',
      `the model needed more than ${REPAIRS_PER_TASK} corrections in this task (invalid tool calls or empty replies)`,
      { taskIndex },
    );
  }
}
