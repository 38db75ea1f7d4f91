import { emitEvent, type ToolCallStatus } from '../events.js';
import { isTaskflowError } from '../errors.js';
import type { ToolCall } from '../model/types.js';
import { handoffTargetOf, handoffToolName } from './tool-names.js';
import type { ToolRouter } from './tool-router.js';
import type { AgentRunInput, ToolResultRecord } from './types.js';
import { preview } from '../text-preview.js';

export const APPROVAL_REQUIRED_MESSAGE =
  'tool call not allowed: approval required (run headless to allow)';

/** What one tool call produced for the conversation. */
export interface ToolCallAnswer {
  readonly content: string;
  readonly status: ToolCallStatus | 'handoff' | 'repair';
  /** Set for MCP results that can become the task's result. */
  readonly record?: ToolResultRecord;
  /** Set when the call transfers the conversation. */
  readonly handoffTo?: string;
}

/** Parse tool-call arguments; undefined when they are not a JSON object. */
export function parseArguments(text: string): Record<string, unknown> | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return {};
  try {
    const value: unknown = JSON.parse(trimmed);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Execute one tool call of the model: route it, repair mistakes (unknown tool, bad
 * arguments), ask for approval where needed, call the MCP server and turn the outcome
 * into the text the model receives. A timeout ('tool-timeout') or a server that stopped
 * during the call ('toolbox-closed') becomes an error result for the model; re-execution
 * and restarts are the connection's (see ResilientToolboxConnection).
 *
 * @throws TaskflowError 'cancelled'; any other error of the connection ('task-failed' when
 *   a server stopped too often, 'toolbox-start' when it could not be restarted) fails the task
 */
export async function executeToolCall(
  call: ToolCall,
  input: AgentRunInput,
  router: ToolRouter,
  handoffTargets: readonly string[],
): Promise<ToolCallAnswer> {
  const { location } = input;
  const target = handoffTargetOf(call.name, handoffTargets);
  if (target !== undefined) {
    return {
      content: `Transferred to ${target}. ${target} continues the conversation.`,
      status: 'handoff',
      handoffTo: target,
    };
  }
  const routed = router.lookup(call.name);
  if (!routed) {
    const valid = [...router.names, ...handoffTargets.map((agent) => handoffToolName(agent))];
    return {
      content: `error: unknown tool ${JSON.stringify(call.name)}. Valid tool names: ${valid.length ? valid.join(', ') : '(none)'}. Call one of these exactly, or answer without a tool.`,
      status: 'repair',
    };
  }
  const args = parseArguments(call.arguments);
  if (!args) {
    return {
      content: `error: the arguments of ${call.name} are not a valid JSON object (got: ${preview(call.arguments)}). The call was not executed; re-issue it with valid JSON arguments.`,
      status: 'repair',
    };
  }
  const base = { ...location, toolbox: routed.toolbox, tool: routed.tool, callId: call.id };
  if (routed.needsApproval && !input.headless) {
    const approved = input.approve
      ? await input.approve(
          { toolbox: routed.toolbox, tool: routed.tool, arguments: call.arguments, ...location },
          { ...(input.signal && { signal: input.signal }) },
        )
      : false;
    if (!approved) {
      const message = input.approve ? 'tool call denied by the user' : APPROVAL_REQUIRED_MESSAGE;
      if (!input.approve) {
        emitEvent(input.onEvent, {
          type: 'warning',
          ...location,
          message: `denied ${routed.toolbox}.${routed.tool}: approval required and no terminal to ask (use --headless or headless: true)`,
        });
      }
      emitEvent(input.onEvent, { type: 'tool-call-start', ...base, arguments: call.arguments });
      emitEvent(input.onEvent, { type: 'tool-call-end', ...base, status: 'denied', durationMs: 0 });
      return { content: message, status: 'denied' };
    }
  }
  emitEvent(input.onEvent, { type: 'tool-call-start', ...base, arguments: call.arguments });
  const started = Date.now();
  const intent = journalIntentOnSend(input, { call, toolbox: routed.toolbox, tool: routed.tool });
  let answer: ToolCallAnswer;
  try {
    const outcome = await routed.connection.callTool(routed.tool, args, {
      ...(input.signal && { signal: input.signal }),
      onSent: intent.onSent,
    });
    await intent.recorded();
    answer = {
      content: outcome.text,
      status: outcome.isError ? 'error' : 'ok',
      ...(!outcome.isError && {
        record: {
          text: outcome.text,
          ...(outcome.structuredContent !== undefined && {
            structuredContent: outcome.structuredContent,
          }),
        },
      }),
    };
  } catch (error) {
    await intent.recorded();
    if (!isTaskflowError(error) || error.code === 'cancelled') throw error;
    // The toolbox layer words these for the model (timeout seconds, re-execution, outcome).
    if (error.code === 'tool-timeout') {
      answer = { content: `error: ${error.message}`, status: 'timeout' };
    } else if (error.code === 'toolbox-closed') {
      answer = { content: `error: ${error.message}`, status: 'error' };
    } else {
      // A server that cannot be kept running (restart budget spent, restart failed): the
      // task fails. The call still gets its end event.
      emitEvent(input.onEvent, {
        type: 'tool-call-end',
        ...base,
        status: 'error',
        durationMs: Date.now() - started,
        resultPreview: preview(error.message),
      });
      throw error;
    }
  }
  emitEvent(input.onEvent, {
    type: 'tool-call-end',
    ...base,
    status: answer.status as ToolCallStatus,
    durationMs: Date.now() - started,
    resultPreview: preview(answer.content),
  });
  return answer;
}

/**
 * The call's `tool-intent` goes to the journal the moment the request was handed to the
 * server's transport, never before: a call stopped earlier (Ctrl-C, a server that would
 * not start) did not start, so resume executes it instead of calling its outcome unknown.
 * `recorded()` waits for the record to be durable and rethrows a failure to write it.
 */
function journalIntentOnSend(
  input: AgentRunInput,
  intent: Parameters<NonNullable<AgentRunInput['journal']>['toolIntent']>[0],
): { onSent: () => void; recorded: () => Promise<void> } {
  let written: Promise<void> | undefined;
  let failure: Error | undefined;
  return {
    onSent: () => {
      // A re-execution after a timeout or a server stop is the same call: one intent.
      if (written !== undefined || failure !== undefined) return;
      try {
        written = input.journal?.toolIntent(intent) ?? Promise.resolve();
      } catch (error) {
        failure = error instanceof Error ? error : new Error(String(error));
      }
    },
    recorded: async () => {
      await written;
      if (failure !== undefined) throw failure;
    },
  };
}
