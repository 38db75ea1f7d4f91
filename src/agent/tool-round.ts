import type { ConversationItem, ToolCall } from '../model/types.js';
import { executeToolCall, type ToolCallAnswer } from './execute-tool-call.js';
import { isRerunnable } from '../toolbox/tool-failure-messages.js';
import { handoffTargetOf } from './tool-names.js';
import type { AgentPersona, AgentRunInput } from './types.js';

/** The model receives this for a call that may have run before a crash (sessions.md). */
export const OUTCOME_UNKNOWN_MESSAGE = 'interrupted before completion; outcome unknown';

export interface ToolRoundResult {
  readonly answers: readonly (ToolCallAnswer | undefined)[];
  readonly handoffTo?: string;
  /** Number of calls answered with a repair (unknown tool, bad arguments). */
  readonly repairs: number;
}

/**
 * Execute the tool calls of one turn in parallel. Each answer goes to the journal as soon
 * as it is known (a crash mid-round loses no finished call), and to the conversation in
 * call order once all are done. With `pending`, only those calls run (resume): a call that
 * may already have reached its server is re-executed only if the server marks it
 * read-only or idempotent; otherwise the model is told the outcome is unknown.
 */
export async function runToolRound(
  calls: readonly ToolCall[],
  input: AgentRunInput,
  active: AgentPersona,
  handoffTargets: readonly string[],
  conversation: ConversationItem[],
  pending?: ReadonlyMap<string, { readonly hadIntent: boolean }>,
): Promise<ToolRoundResult> {
  // Only the first handoff of a turn (in call order) takes effect; later ones are told so.
  const handoffIndex = calls.findIndex(
    (call) => handoffTargetOf(call.name, handoffTargets) !== undefined,
  );
  let repairs = 0;
  const running = calls.map(async (call, index): Promise<ToolCallAnswer | undefined> => {
    const state = pending?.get(call.id);
    if (pending && !state) return undefined;
    let answer: ToolCallAnswer;
    const routed = active.router.lookup(call.name);
    const rerunnable = isRerunnable(routed?.annotations);
    const isHandoff = handoffTargetOf(call.name, handoffTargets) !== undefined;
    if (isHandoff && index !== handoffIndex) {
      answer = {
        content: 'error: not transferred; the conversation was already transferred in this turn.',
        status: 'repair',
      };
    } else if (state?.hadIntent && !rerunnable && !isHandoff) {
      answer = { content: OUTCOME_UNKNOWN_MESSAGE, status: 'error' };
    } else {
      answer = await executeToolCall(call, input, active.router, handoffTargets);
      if (answer.status === 'repair') repairs++;
    }
    await input.journal?.toolResult({
      callId: call.id,
      content: answer.content,
      status: answer.status,
      ...(answer.handoffTo !== undefined && { handoffTo: answer.handoffTo }),
      ...(answer.record && { record: answer.record }),
    });
    return answer;
  });
  let answers: (ToolCallAnswer | undefined)[];
  try {
    answers = await Promise.all(running);
  } catch (error) {
    // A stopping run lets the round's other calls settle first (bounded by the stop's grace
    // for calls already sent), so each result is journaled before the round is abandoned.
    if (input.signal?.aborted === true) await Promise.allSettled(running);
    throw error;
  }
  answers.forEach((answer, index) => {
    const call = calls[index];
    if (answer && call)
      conversation.push({ role: 'tool', toolCallId: call.id, content: answer.content });
  });
  const handoffTo = answers.find((answer) => answer?.handoffTo !== undefined)?.handoffTo;
  return { answers, ...(handoffTo !== undefined && { handoffTo }), repairs };
}
