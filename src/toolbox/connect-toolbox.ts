/**
 * Starts one toolbox: launch (stdio server, or a local HTTP server), initialize and list
 * the tools, all within `connectTimeoutMs`. On any failure everything started is stopped
 * and one `toolbox-start` error names the toolbox, the command or URL and the last stderr.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { TaskflowError, errorMessage, isTaskflowError } from '../errors.js';
import { ChildProcessTransport } from './child-process-transport.js';
import { MAX_STDIO_MESSAGE_BYTES } from './json-rpc-line-reader.js';
import { formatCommandLine, launchServerProcess } from './launch-server-process.js';
import type { ServerProcess } from './launch-server-process.js';
import { raceAbort, settleWithin } from './settle-within.js';
import { sizeLimitedFetch } from './size-limited-fetch.js';
import { McpToolboxConnection, formatSeconds, httpStatus } from './toolbox-connection.js';
import { waitForUrl } from './wait-for-url.js';
import type { ConnectOptions, ResolvedToolbox, ToolInfo } from './types.js';

export const CLIENT_INFO = { name: 'taskflow', version: '0.1.0' } as const;

/** Grace for stopping a server whose start failed: it never served anything. */
const START_FAILURE_GRACE_MS = 500;
/** How long a late-finishing start step may take to notice the abort before cleanup. */
const LATE_STEP_WAIT_MS = 1000;
/** How long a server whose start failed may take to exit on its own, for its exit code. */
const EXIT_AFTER_FAILURE_WAIT_MS = 300;

/** What a start attempt created so far, for cleanup. */
interface StartedParts {
  serverProcess?: ServerProcess;
  client?: Client;
}

class StartTimeout extends Error {}

/** Start failures that another attempt cannot fix (see `isPermanentStartFailure`). */
const permanentFailures = new WeakSet<Error>();

/**
 * True for a 'toolbox-start' error that a retry cannot fix: the command is missing or not
 * executable, the working directory or URL is invalid, or an HTTP server refused us with a
 * 4xx status other than 408/429 (authentication, wrong path).
 */
export function isPermanentStartFailure(error: unknown): boolean {
  return error instanceof Error && permanentFailures.has(error);
}

/**
 * @throws TaskflowError 'toolbox-start' (failure, timeout, missing command, bad URL) or
 *   'cancelled' (options.signal aborted); nothing started is left running
 */
export async function connectToolbox(
  toolbox: ResolvedToolbox,
  options: ConnectOptions = {},
): Promise<McpToolboxConnection> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new StartTimeout()), toolbox.connectTimeoutMs);
  const signal =
    options.signal === undefined
      ? deadline.signal
      : AbortSignal.any([options.signal, deadline.signal]);
  const started: StartedParts = {};
  const attempt = startToolbox(toolbox, started, signal, options.logger);
  try {
    return await raceAbort(attempt, signal);
  } catch (error) {
    // A step still running (an SSE handshake ignores signals) must not leak what it creates.
    void attempt.then(
      (connection) => connection.close({ graceMs: 0 }),
      () => undefined,
    );
    await settleWithin(attempt, LATE_STEP_WAIT_MS);
    const serverProcess = started.serverProcess;
    // A server that dies at once fails our first write (EPIPE) before its exit is seen;
    // its exit code and stderr say far more than the EPIPE.
    const failedByItself = !deadline.signal.aborted && options.signal?.aborted !== true;
    if (failedByItself && serverProcess !== undefined && serverProcess.exit === undefined) {
      await settleWithin(serverProcess.exited, EXIT_AFTER_FAILURE_WAIT_MS);
    }
    // What the server said and did on its own, not its reaction to being stopped.
    const exitedByItself = serverProcess?.exit !== undefined;
    if (exitedByItself) await serverProcess?.outputDrained(200);
    const report = {
      exit: serverProcess?.describeExit() ?? '',
      stderrTail: serverProcess?.stderrTail(),
      commandLine: serverProcess?.commandLine,
    };
    await started.client?.close().catch(() => undefined);
    await serverProcess?.terminate(START_FAILURE_GRACE_MS);
    if (options.signal?.aborted === true) {
      throw new TaskflowError('cancelled', `toolbox "${toolbox.name}" start was cancelled`, {
        toolbox: toolbox.name,
        cause: error,
      });
    }
    throw startFailure(toolbox, error, report, deadline.signal.aborted);
  } finally {
    clearTimeout(timer);
  }
}

async function startToolbox(
  toolbox: ResolvedToolbox,
  started: StartedParts,
  signal: AbortSignal,
  logger: ((line: string) => void) | undefined,
): Promise<McpToolboxConnection> {
  if (toolbox.kind === 'stdio' && (toolbox.command === undefined || toolbox.command === '')) {
    throw new TaskflowError('toolbox-start', 'a stdio toolbox needs a command');
  }
  const url = toolbox.kind === 'stdio' ? undefined : parseUrl(toolbox);
  if (toolbox.command !== undefined && toolbox.command !== '') {
    started.serverProcess = await launchServerProcess(
      {
        toolboxName: toolbox.name,
        command: toolbox.command,
        args: toolbox.args,
        ...(toolbox.cwd === undefined ? {} : { cwd: toolbox.cwd }),
        env: toolbox.env,
      },
      { captureStdout: toolbox.kind !== 'stdio', ...(logger ? { logger } : {}) },
    );
    signal.throwIfAborted();
  }
  const serverProcess = started.serverProcess;
  let transport: Transport;
  if (url === undefined) {
    if (serverProcess === undefined) throw new TaskflowError('internal', 'no stdio process');
    transport = new ChildProcessTransport(serverProcess);
  } else {
    if (serverProcess !== undefined) {
      await waitForUrl(url, {
        signal,
        exited: serverProcess.exited,
        describeExit: () => serverProcess.describeExit(),
      });
    }
    const requestInit = { headers: { ...toolbox.headers } };
    transport =
      toolbox.kind === 'sse'
        ? new SSEClientTransport(url, { requestInit })
        : new StreamableHTTPClientTransport(url, {
            requestInit,
            fetch: sizeLimitedFetch(MAX_STDIO_MESSAGE_BYTES),
          });
  }
  const client = new Client(CLIENT_INFO, { capabilities: {} });
  started.client = client;
  client.onerror = (error) => logger?.(`[${toolbox.name}] ${errorMessage(error)}`);
  const requestOptions = { signal, timeout: toolbox.connectTimeoutMs };
  await client.connect(transport, requestOptions);
  const tools: ToolInfo[] = [];
  if (client.getServerCapabilities()?.tools !== undefined) {
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor === undefined ? {} : { cursor }, requestOptions);
      tools.push(...page.tools.map(toToolInfo));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
  }
  return new McpToolboxConnection({
    toolbox,
    client,
    transport,
    tools,
    ...(serverProcess ? { serverProcess } : {}),
    ...(logger ? { logger } : {}),
  });
}

function parseUrl(toolbox: ResolvedToolbox): URL {
  if (toolbox.url === undefined || toolbox.url === '') {
    throw new TaskflowError('toolbox-start', `a ${toolbox.kind} toolbox needs a url`);
  }
  try {
    return new URL(toolbox.url);
  } catch (error) {
    throw new TaskflowError('toolbox-start', `invalid url ${JSON.stringify(toolbox.url)}`, {
      cause: error,
    });
  }
}

function toToolInfo(tool: Tool): ToolInfo {
  const info: ToolInfo = { name: tool.name, inputSchema: tool.inputSchema };
  if (tool.title !== undefined) info.title = tool.title;
  if (tool.description !== undefined) info.description = tool.description;
  if (tool.outputSchema !== undefined) info.outputSchema = tool.outputSchema;
  const hints = tool.annotations;
  if (hints !== undefined) {
    info.annotations = {};
    if (hints.readOnlyHint !== undefined) info.annotations.readOnlyHint = hints.readOnlyHint;
    if (hints.idempotentHint !== undefined) info.annotations.idempotentHint = hints.idempotentHint;
    if (hints.destructiveHint !== undefined)
      info.annotations.destructiveHint = hints.destructiveHint;
    if (hints.openWorldHint !== undefined) info.annotations.openWorldHint = hints.openWorldHint;
  }
  return info;
}

/** Facts about the launched process, taken before it was stopped. */
interface ProcessReport {
  exit: string;
  /** Undefined when no process was launched. */
  stderrTail: string[] | undefined;
  commandLine: string | undefined;
}

/** One message: toolbox, what was started (command and/or URL), why, last stderr lines. */
function startFailure(
  toolbox: ResolvedToolbox,
  error: unknown,
  report: ProcessReport,
  timedOut: boolean,
): TaskflowError {
  // Launch errors (ENOENT, EACCES) are already complete and specific.
  if (isTaskflowError(error) && error.code === 'toolbox-start' && report.stderrTail === undefined) {
    const message = error.message.startsWith('toolbox "')
      ? error.message
      : `toolbox "${toolbox.name}" failed to start: ${error.message}`;
    const failure = new TaskflowError('toolbox-start', message, {
      toolbox: toolbox.name,
      cause: error,
    });
    permanentFailures.add(failure);
    return failure;
  }
  const targets: string[] = [];
  if (toolbox.command !== undefined && toolbox.command !== '') {
    targets.push(report.commandLine ?? formatCommandLine(toolbox.command, toolbox.args));
  }
  if (toolbox.kind !== 'stdio' && toolbox.url !== undefined) targets.push(displayUrl(toolbox.url));
  const reason = timedOut && report.exit === '' ? '' : `: ${report.exit || describeCause(error)}`;
  const head = timedOut
    ? `toolbox "${toolbox.name}" failed to start within ${formatSeconds(toolbox.connectTimeoutMs)}`
    : `toolbox "${toolbox.name}" failed to start`;
  const tail = report.stderrTail ?? [];
  let stderrPart = '';
  if (report.stderrTail !== undefined) {
    stderrPart =
      tail.length > 0 ? ` — last stderr: ${tail.slice(-3).join(' | ')}` : ' — no stderr output';
  }
  const status = httpStatus(error);
  const failure = new TaskflowError(
    'toolbox-start',
    `${head}: ${targets.join(' at ')}${reason}${stderrPart}`,
    {
      toolbox: toolbox.name,
      cause: error,
      details: tail,
      ...(status === undefined ? {} : { status }),
    },
  );
  if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) {
    permanentFailures.add(failure);
  }
  return failure;
}

/** `fetch failed` alone says nothing; its cause (ECONNREFUSED ...) or HTTP status does. */
function describeCause(error: unknown): string {
  const message = errorMessage(error).replace(/:\s*$/, '');
  const status = httpStatus(error);
  if (status !== undefined) return `${message} (HTTP ${status})`;
  const cause = error instanceof Error ? error.cause : undefined;
  return cause === undefined ? message : `${message} (${errorMessage(cause)})`;
}

/** The URL without credentials or query (tokens live there sometimes). */
function displayUrl(raw: string): string {
  try {
    const url = new URL(raw);
    return `${url.origin}${url.pathname}`;
  } catch {
    return raw;
  }
}
