/**
 * A started toolbox: tool calls with timeouts and error classification, and a bounded
 * close that leaves no process behind. Built by `connectToolbox`.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { TaskflowError, errorMessage } from '../errors.js';
import { DEFAULT_CLOSE_GRACE_MS } from './launch-server-process.js';
import type { ServerProcess } from './launch-server-process.js';
import { settleWithin } from './settle-within.js';
import { toolResultToText } from './tool-result-to-text.js';
import { ChildProcessTransport } from './child-process-transport.js';
import { resultTooLargeError, resultTooLargeOf } from './result-too-large.js';
import { toolCallGraceOf } from './graceful-stop.js';
import { observeSends } from './observe-sends.js';
import type {
  CloseOptions,
  ResolvedToolbox,
  ToolCallOptions,
  ToolCallOutcome,
  ToolInfo,
  ToolboxConnection,
} from './types.js';

/** Bound on the polite session DELETE sent to a remote streamable server on close. */
const TERMINATE_SESSION_TIMEOUT_MS = 1000;

export interface McpToolboxConnectionParts {
  toolbox: ResolvedToolbox;
  client: Client;
  transport: Transport;
  /** The process we launched (stdio server, or local HTTP server), if any. */
  serverProcess?: ServerProcess;
  tools: readonly ToolInfo[];
  logger?: (line: string) => void;
}

export class McpToolboxConnection implements ToolboxConnection {
  readonly name: string;
  readonly tools: readonly ToolInfo[];
  readonly #toolbox: ResolvedToolbox;
  readonly #client: Client;
  readonly #transport: Transport;
  readonly #serverProcess: ServerProcess | undefined;
  #closing: Promise<void> | undefined;
  /** Set before closing starts: the transport reports its close synchronously. */
  #closeRequested = false;
  /** Set when the connection dropped without us closing it. */
  #lost = false;
  /**
   * Calls not yet handed to the transport, by the arguments object each one sends (a fresh
   * object per call, so its identity names the call in the outgoing message).
   */
  readonly #awaitingSend = new Map<object, () => void>();

  constructor(parts: McpToolboxConnectionParts) {
    this.name = parts.toolbox.name;
    this.tools = parts.tools;
    this.#toolbox = parts.toolbox;
    this.#client = parts.client;
    this.#transport = parts.transport;
    this.#serverProcess = parts.serverProcess;
    const logger = parts.logger;
    // Aborted streams after our own close are expected, not worth a log line.
    this.#client.onerror = (error) => {
      if (!this.#closeRequested) logger?.(`[${this.name}] ${errorMessage(error)}`);
    };
    this.#client.onclose = () => {
      if (this.#closeRequested) return;
      this.#lost = true;
      logger?.(`[${this.name}] connection lost${this.#exitSuffix()}`);
      // The server died: stop what is left of its group now, not at task end.
      if (this.#serverProcess?.exit !== undefined) void this.#serverProcess.terminate();
    };
    observeSends(parts.transport, (message) => this.#noticeSent(message));
    // The server may have died between tools/list and here.
    if (parts.transport instanceof ChildProcessTransport && parts.transport.closed) {
      this.#lost = true;
    }
    if (!(parts.transport instanceof ChildProcessTransport)) {
      // A launched HTTP server that dies leaves sockets that may fail late or not at all.
      void this.#serverProcess?.exited.then(() => {
        if (!this.#closeRequested) void this.#client.close();
      });
    }
  }

  readonly stderrTail = (): string[] => this.#serverProcess?.stderrTail() ?? [];

  /** True once the connection dropped (server exited, stream broke) without `close()`. */
  get lost(): boolean {
    return this.#lost;
  }

  /** Whether this connection owns a process we launched (so a restart can replace it). */
  get launched(): boolean {
    return this.#serverProcess !== undefined;
  }

  /** "server exited with code 3" / "server was killed by SIGKILL"; empty while running. */
  describeExit(): string {
    return this.#serverProcess?.describeExit() ?? '';
  }

  /** Waits (at most `timeoutMs`) until the server's output has ended, so its tail is complete. */
  async outputDrained(timeoutMs: number): Promise<void> {
    await this.#serverProcess?.outputDrained(timeoutMs);
  }

  async callTool(
    tool: string,
    args: Record<string, unknown>,
    options: ToolCallOptions = {},
  ): Promise<ToolCallOutcome> {
    const { signal } = options;
    if (signal?.aborted) throw this.#cancelled(tool, signal.reason);
    if (this.#closeRequested || this.#lost) {
      throw new TaskflowError(
        'toolbox-closed',
        `toolbox "${this.name}" is closed; tool "${tool}" was not called${this.#exitSuffix()}`,
        { toolbox: this.name },
      );
    }
    const timeoutMs = options.timeoutMs ?? this.#toolbox.timeoutMs;
    const sentArgs = { ...args };
    let sent = false;
    const markSent = (): void => {
      if (sent) return;
      sent = true;
      options.onSent?.();
    };
    this.#awaitingSend.set(sentArgs, markSent);
    // A per-call controller: the SDK never removes its abort listener, so a long-lived
    // task signal handed over directly would collect one per call.
    const controller = new AbortController();
    const settled = new AbortController();
    const forwardAbort = (): void => {
      const abort = (): void => controller.abort(signal?.reason);
      // A graceful stop lets a call that reached its server finish within the grace; one
      // still unsent is cancelled at once (it is not started, so resume runs it).
      const graceOver = sent ? toolCallGraceOf(signal?.reason) : undefined;
      if (graceOver === undefined || graceOver.aborted) abort();
      else graceOver.addEventListener('abort', abort, { once: true, signal: settled.signal });
    };
    signal?.addEventListener('abort', forwardAbort, { once: true });
    try {
      const result = await this.#client.callTool({ name: tool, arguments: sentArgs }, undefined, {
        signal: controller.signal,
        timeout: timeoutMs,
        resetTimeoutOnProgress: true,
        // Also makes the SDK send a progressToken, without which no progress can arrive.
        onprogress: (progress) => options.onProgress?.(progress),
      });
      // An answer proves the call was sent, should its send have gone unnoticed.
      markSent();
      return {
        text: toolResultToText(result),
        isError: result.isError === true,
        ...(result.structuredContent === undefined
          ? {}
          : { structuredContent: result.structuredContent }),
        raw: result,
      };
    } catch (error) {
      // Cancelled only once the abort reached the call: an answer within a stop's grace counts.
      return this.#classifyCallError(tool, error, timeoutMs, controller.signal);
    } finally {
      this.#awaitingSend.delete(sentArgs);
      settled.abort();
      signal?.removeEventListener('abort', forwardAbort);
    }
  }

  close(options: CloseOptions = {}): Promise<void> {
    this.#closeRequested = true;
    this.#closing ??= this.#close(options.graceMs ?? DEFAULT_CLOSE_GRACE_MS);
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(graceMs: number): Promise<void> {
    if (
      this.#serverProcess === undefined &&
      this.#transport instanceof StreamableHTTPClientTransport
    ) {
      await settleWithin(
        this.#transport.terminateSession(),
        Math.min(graceMs, TERMINATE_SESSION_TIMEOUT_MS),
      );
    }
    await this.#client.close().catch(() => undefined);
    await this.#serverProcess?.terminate(graceMs);
  }

  /** A `tools/call` request was handed to the transport: the call it belongs to is started. */
  #noticeSent(message: JSONRPCMessage): void {
    if (!('method' in message) || message.method !== 'tools/call') return;
    const sentArgs = (message.params as { arguments?: unknown } | undefined)?.arguments;
    if (typeof sentArgs !== 'object' || sentArgs === null) return;
    const markSent = this.#awaitingSend.get(sentArgs);
    this.#awaitingSend.delete(sentArgs);
    markSent?.();
  }

  #classifyCallError(
    tool: string,
    error: unknown,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): ToolCallOutcome {
    if (signal?.aborted) throw this.#cancelled(tool, error);
    const fields = { toolbox: this.name, cause: error };
    if (error instanceof McpError && error.code === (ErrorCode.RequestTimeout as number)) {
      throw new TaskflowError(
        'tool-timeout',
        `tool timed out after ${formatSpacedSeconds(timeoutMs)} and was cancelled (toolbox "${this.name}", tool "${tool}")`,
        fields,
      );
    }
    const tooLarge = resultTooLargeOf(error);
    if (tooLarge !== undefined) {
      // Only this answer was dropped (see ChildProcessTransport): the server keeps running.
      const { message } = resultTooLargeError(tooLarge.bytes, tooLarge.limitBytes);
      return {
        text: `${message}: toolbox "${this.name}" answered tool "${tool}" with more than the runner reads; the server is still running, so ask for less (a smaller range, page or filter)`,
        isError: true,
        raw: { error: { message, ...tooLarge } },
      };
    }
    const invalid = describeSchemaIssues(error);
    if (invalid !== undefined) {
      // The answer arrived but does not have the shape of a tool result.
      return {
        text: `toolbox "${this.name}" returned an invalid result for tool "${tool}": ${invalid}`,
        isError: true,
        raw: { error: { message: invalid } },
      };
    }
    const connectionClosed =
      error instanceof McpError && error.code === (ErrorCode.ConnectionClosed as number);
    if (this.#closeRequested && (connectionClosed || !(error instanceof McpError))) {
      throw new TaskflowError(
        'toolbox-closed',
        `toolbox "${this.name}" was closed during tool "${tool}"`,
        fields,
      );
    }
    if (connectionClosed || this.#lost || !(error instanceof McpError)) {
      const tail = this.stderrTail();
      const status = httpStatus(error);
      const exit = this.#exitSuffix();
      const what = exit
        ? `closed during tool "${tool}"${exit}`
        : `connection failed during tool "${tool}": ${errorMessage(error)}${status === undefined ? '' : ` (HTTP ${status})`}`;
      const stderrPart = tail.length > 0 ? ` — last stderr: ${tail.slice(-3).join(' | ')}` : '';
      throw new TaskflowError('toolbox-closed', `toolbox "${this.name}" ${what}${stderrPart}`, {
        ...fields,
        details: tail,
        ...(status === undefined ? {} : { status }),
      });
    }
    // A JSON-RPC error answer (or an SDK check of the answer): the model can react to it.
    return {
      text: error.message,
      isError: true,
      raw: { error: { code: error.code, message: error.message, data: error.data } },
    };
  }

  #cancelled(tool: string, cause: unknown): TaskflowError {
    return new TaskflowError('cancelled', `toolbox "${this.name}": tool "${tool}" was cancelled`, {
      toolbox: this.name,
      cause,
    });
  }

  #exitSuffix(): string {
    const exit = this.#serverProcess?.describeExit() ?? '';
    return exit === '' ? '' : `: ${exit}`;
  }
}

/** "0.5s", "30s". */
export function formatSeconds(milliseconds: number): string {
  return `${Number((milliseconds / 1000).toFixed(3))}s`;
}

/** "0.5 s", "30 s": the form the model reads in tool-timeout messages. */
export function formatSpacedSeconds(milliseconds: number): string {
  return `${Number((milliseconds / 1000).toFixed(3))} s`;
}

/** The SDK's HTTP transport errors carry the response status as `code`. */
export function httpStatus(error: unknown): number | undefined {
  const code = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  return typeof code === 'number' && code >= 100 && code <= 599 ? code : undefined;
}

/** "content: Invalid input ..." for a zod validation error (the SDK parses results with zod). */
function describeSchemaIssues(error: unknown): string | undefined {
  const issues =
    error instanceof Error ? (error as Error & { issues?: unknown }).issues : undefined;
  if (!Array.isArray(issues)) return undefined;
  return issues
    .map((issue: { path?: unknown[]; message?: string }) => {
      const path =
        Array.isArray(issue.path) && issue.path.length > 0 ? issue.path.join('.') : '(result)';
      return `${path}: ${issue.message ?? 'invalid'}`;
    })
    .join('; ');
}
