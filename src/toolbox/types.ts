/**
 * Public shapes of the toolbox layer. The engine renders templates and resolves the
 * environment; this layer receives final values only.
 */
import type { Clock } from '../resilience/clock.js';

/** A toolbox ready to start: every template rendered, the environment complete. */
export interface ResolvedToolbox {
  /** Short name used in messages and tool prefixes. */
  name: string;
  kind: 'stdio' | 'sse' | 'streamable';
  /** stdio: the server program; sse/streamable: an optional local server launched first. */
  command?: string;
  args: string[];
  cwd?: string;
  /** The COMPLETE environment of a started process (see `buildServerEnvironment`). */
  env: Record<string, string>;
  /** sse/streamable endpoint. */
  url?: string;
  headers: Record<string, string>;
  /** Default per-call timeout; progress notifications restart it. */
  timeoutMs: number;
  /** Bound on the whole start: spawn, wait for the URL, initialize, tools/list. */
  connectTimeoutMs: number;
  confirm: string[];
  serverPrompt?: string;
  /**
   * seclab `reconnecting`: a fresh stdio server per tool call (started, called, closed).
   * Ignored for sse/streamable toolboxes. Default false.
   */
  reconnecting?: boolean;
}

/** Behaviour hints from `tools/list`; untrusted, used only to decide re-execution. */
export interface ToolAnnotations {
  readOnlyHint?: boolean;
  idempotentHint?: boolean;
  destructiveHint?: boolean;
  openWorldHint?: boolean;
}

export interface ToolInfo {
  name: string;
  title?: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  annotations?: ToolAnnotations;
}

export interface ToolCallOutcome {
  /** What the model receives (see `toolResultToText`). */
  text: string;
  /** The server reported a tool error (`isError`) or answered with a JSON-RPC error. */
  isError: boolean;
  structuredContent?: unknown;
  /** The result as received, or `{ error: { code, message, data } }` for a JSON-RPC error. */
  raw: unknown;
}

export interface ToolProgress {
  progress: number;
  total?: number;
  message?: string;
}

export interface ToolCallOptions {
  /**
   * Cancels the call. A call already sent is cancelled at once, except when the reason is a
   * `GracefulStop`: then it may still finish until the stop's grace is over.
   */
  signal?: AbortSignal;
  /**
   * Called synchronously once the request was handed to the server's transport (again for a
   * re-execution). A call cancelled or failed before that never reached the server. Must not
   * throw.
   */
  onSent?: () => void;
  /** Defaults to the toolbox `timeoutMs`. */
  timeoutMs?: number;
  onProgress?: (progress: ToolProgress) => void;
}

export interface CloseOptions {
  /** From stdin EOF to SIGKILL of the process group. Default 2000. */
  graceMs?: number;
}

export interface ConnectOptions {
  signal?: AbortSignal;
  /** Receives server stderr and diagnostics, one line per call; never the terminal. */
  logger?: (line: string) => void;
}

/** How a failed start is retried (resilience.md "Tools"). */
export interface StartRetryOptions {
  /** Waits before the 2nd, 3rd, ... attempt. Default [5000, 15000] (3 attempts in all). */
  startRetryDelaysMs?: readonly number[];
  /** Sleeps between attempts; default the system clock. */
  clock?: Clock;
  /** Receives one line per failed attempt that will be retried, and per server restart. */
  onWarning?: (message: string) => void;
}

/** The per-task resilience of `connectToolboxes`: start retries, restarts, re-execution. */
export interface ToolboxResilienceOptions extends StartRetryOptions {
  /** Restarts of a server we launched that stopped during the task. Default 2. */
  maxRestarts?: number;
}

export interface ToolboxConnection extends AsyncDisposable {
  readonly name: string;
  /** Listed once at connect (all pages). */
  readonly tools: readonly ToolInfo[];
  /**
   * Calls a tool. Tool errors (`isError`) and JSON-RPC errors are returned, not thrown.
   * Messages of 'tool-timeout' and 'toolbox-closed' are written for the model.
   *
   * @throws TaskflowError 'tool-timeout' after `timeoutMs` without result or progress (the
   *   request is cancelled with `notifications/cancelled`); message "tool timed out after N s ..."
   * @throws TaskflowError 'toolbox-closed' when the server exits or the connection drops
   *   during the call (outcome unknown), or the connection was already closed
   * @throws TaskflowError 'cancelled' when `signal` aborts (for a call already sent under a
   *   `GracefulStop`: when the grace ends before the answer)
   * @throws TaskflowError 'task-failed' / 'toolbox-start' (resilient connections only) when
   *   the server cannot be kept running: the task must fail
   */
  callTool(
    tool: string,
    args: Record<string, unknown>,
    options?: ToolCallOptions,
  ): Promise<ToolCallOutcome>;
  /** Idempotent, never throws, bounded by about `graceMs` + 1 s; kills the process group. */
  close(options?: CloseOptions): Promise<void>;
  /** Last ~20 lines of server output (stderr; stdout too for launched HTTP servers). */
  readonly stderrTail: () => string[];
}
