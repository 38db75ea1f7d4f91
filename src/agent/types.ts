import type { EventSink, ToolCallStatus } from '../events.js';
import type {
  CompleteOptions,
  ConversationItem,
  ModelRequest,
  ModelResponse,
  ToolCall,
  Usage,
} from '../model/types.js';
import type { ToolRouter } from './tool-router.js';

/** One agent of a task: a personality turned into a system prompt. */
export interface AgentPersona {
  /** Sanitised short name (used in `transfer_to_<name>`). */
  readonly name: string;
  readonly instructions: string;
  /** One line describing the agent, for the handoff tool description. */
  readonly summary: string;
  /** The MCP tools this agent can call. */
  readonly router: ToolRouter;
}

/** Sends one logical model request (the engine wraps retries around the client here). */
export type ModelCaller = (
  request: ModelRequest,
  options: CompleteOptions & {
    /** Identifies the logical request (stable across retries and resumes). */
    readonly requestKey: string;
    readonly location: { readonly taskIndex: number; readonly itemIndex: number };
  },
) => Promise<ModelResponse>;

export interface ApprovalRequest {
  readonly toolbox: string;
  readonly tool: string;
  readonly arguments: string;
  readonly taskIndex: number;
  readonly itemIndex: number;
}

/** Asks a person; resolves true to allow. Serialised by the caller. */
export type Approver = (
  request: ApprovalRequest,
  options: { signal?: AbortSignal },
) => Promise<boolean>;

/** The last tool result of a run (`capture: tool_result`, repeat_prompt's iterable). */
export interface ToolResultRecord {
  readonly text: string;
  readonly structuredContent?: unknown;
}

/** Counts conversation repairs; shared by the items of a task (budget 10 per task). */
export interface RepairBudget {
  used: number;
}

/** Hooks for checkpointing (sessions); every promise is awaited before the loop goes on. */
export interface AgentJournal {
  turnCommitted(turn: {
    readonly turn: number;
    readonly agent: string;
    readonly message: Extract<ConversationItem, { role: 'assistant' }>;
    readonly usage: Usage;
  }): Promise<void>;
  /**
   * Called synchronously when the call's request was handed to its server's transport (not
   * before: a call that never got there is not started). Must write its record before it
   * returns; the promise may settle later (durability).
   */
  toolIntent(call: {
    readonly call: ToolCall;
    readonly toolbox: string;
    readonly tool: string;
  }): Promise<void>;
  toolResult(result: {
    readonly callId: string;
    readonly content: string;
    readonly status: ToolCallStatus | 'handoff' | 'repair';
    readonly handoffTo?: string;
    readonly record?: ToolResultRecord;
  }): Promise<void>;
}

/** State restored from a checkpoint, to continue a run (sessions.md "Resume"). */
export interface RestoredAgentState {
  /** The conversation as the model last saw it, plus results already recorded for the
   *  calls of the last committed turn. */
  readonly conversation: readonly ConversationItem[];
  readonly activeAgent: string;
  readonly turns: number;
  readonly usage: Usage;
  readonly lastToolResult?: ToolResultRecord;
  /** Every MCP result of the restored turns, oldest first (the run's result stack needs
   *  them; absent from checkpoints that do not carry them). */
  readonly toolResults?: readonly ToolResultRecord[];
  /** Calls of the last committed turn without a recorded result. `hadIntent`: the call
   *  may have reached the server before the run stopped. */
  readonly pendingCalls?: readonly { readonly call: ToolCall; readonly hadIntent: boolean }[];
  /** The last committed turn was the final answer; nothing is left to ask. */
  readonly finalText?: string;
  /** The empty-reply nudge was already spent. */
  readonly nudged?: boolean;
}

export interface AgentRunInput {
  readonly agents: readonly AgentPersona[];
  readonly prompt: string;
  readonly model: { readonly id: string; readonly settings: Readonly<Record<string, unknown>> };
  readonly callModel: ModelCaller;
  readonly maxSteps: number;
  readonly excludeFromContext: boolean;
  readonly headless: boolean;
  /** Undefined when nobody can answer (no TTY): approval-needing calls are denied. */
  readonly approve?: Approver;
  readonly location: { readonly taskIndex: number; readonly itemIndex: number };
  readonly onEvent: EventSink;
  readonly signal?: AbortSignal;
  readonly repairs?: RepairBudget;
  readonly journal?: AgentJournal;
  readonly restored?: RestoredAgentState;
  /** Prefix of logical request keys (unique per task item), for attempt accounting. */
  readonly requestKeyPrefix?: string;
  /**
   * Each MCP tool result (not denials, errors or handoffs) once its round has settled, in
   * call order; also those of a restored round. Called before the run can fail later, so
   * a caller keeps them even when the run throws.
   */
  readonly onToolResult?: (record: ToolResultRecord) => void;
}

export interface AgentRunResult {
  /** The final answer (empty with exclude_from_context). */
  readonly finalText: string;
  readonly lastToolResult?: ToolResultRecord;
  readonly usage: Usage;
  readonly turns: number;
  readonly conversation: readonly ConversationItem[];
}
