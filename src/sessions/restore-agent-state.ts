import type { RestoredAgentState } from '../agent/types.js';
import { addUsage, ZERO_USAGE, type ConversationItem, type ToolCall } from '../model/types.js';
import { itemToolResults } from './item-tool-results.js';
import type { ItemReplay, TurnReplay } from './replay.js';

export interface PendingCall {
  readonly call: ToolCall;
  /** An intent was recorded: the call may have run (re-run only if idempotent). */
  readonly hadIntent: boolean;
}

export interface AgentRestore {
  readonly restored: RestoredAgentState;
  /** Calls of the last turn without a result, in call order. */
  readonly pendingCalls: readonly PendingCall[];
  /** Set when the agent had already given its final answer (only item-end is missing). */
  readonly finished?: { readonly finalText: string };
}

export interface RestoreOptions {
  /** The task runs with exclude_from_context: a turn whose calls all have results ends it. */
  readonly excludeFromContext?: boolean;
}

/**
 * Rebuilds an item's conversation exactly as runAgent built it: the first user prompt,
 * then per committed turn the assistant message and one `tool` item per call that has a
 * result (call order); an empty reply without tool calls that was followed by another
 * turn implies the nudge user message after it.
 *
 * The caller executes or answers `pendingCalls` and appends their `tool` items before
 * continuing; an item with no turns gets `activeAgent: ''` (runAgent then starts with
 * its primary agent).
 */
export function restoreAgentState(
  item: ItemReplay,
  firstUserPrompt: string,
  nudgeMessage: string,
  options: RestoreOptions = {},
): AgentRestore {
  const conversation: ConversationItem[] = [{ role: 'user', content: firstUserPrompt }];
  let usage = ZERO_USAGE;
  let nudged = false;
  let previous: TurnReplay | undefined;
  for (const turn of item.turns) {
    if (previous && isEmptyReply(previous)) {
      conversation.push({ role: 'user', content: nudgeMessage });
      nudged = true;
    }
    conversation.push({
      role: 'assistant',
      content: turn.message.content,
      toolCalls: turn.message.toolCalls,
    });
    for (const call of turn.message.toolCalls) {
      const result = turn.toolResults.get(call.id);
      if (!result) continue;
      conversation.push({ role: 'tool', toolCallId: call.id, content: result.content });
    }
    usage = addUsage(usage, turn.usage);
    previous = turn;
  }

  const last = item.turns.at(-1);
  const pendingCalls: PendingCall[] = [];
  let activeAgent = last?.agent ?? '';
  let finished: { finalText: string } | undefined;
  if (last && last.message.toolCalls.length === 0) {
    if (isEmptyReply(last) && !nudged) {
      conversation.push({ role: 'user', content: nudgeMessage });
    } else {
      finished = { finalText: last.message.content };
    }
  } else if (last) {
    for (const call of last.message.toolCalls) {
      const result = last.toolResults.get(call.id);
      if (!result) pendingCalls.push({ call, hadIntent: last.intents.has(call.id) });
    }
    // runAgent follows the first handoff of a turn.
    const handoff = last.message.toolCalls
      .map((call) => last.toolResults.get(call.id)?.handoffTo)
      .find((target) => target !== undefined);
    if (handoff !== undefined) activeAgent = handoff;
    if (options.excludeFromContext && pendingCalls.length === 0) finished = { finalText: '' };
  }

  const toolResults = itemToolResults(item);
  const lastToolResult = toolResults.at(-1);
  const restored: RestoredAgentState = {
    conversation,
    activeAgent,
    turns: item.turns.length,
    usage,
    ...(lastToolResult && { lastToolResult }),
    ...(toolResults.length > 0 && { toolResults }),
  };
  return { restored, pendingCalls, ...(finished && { finished }) };
}

function isEmptyReply(turn: TurnReplay): boolean {
  return turn.message.toolCalls.length === 0 && turn.message.content.trim() === '';
}
