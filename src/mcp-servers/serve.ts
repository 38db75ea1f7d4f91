import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { TaskflowError, errorMessage } from '../errors.js';

/** How a bundled server is reached: stdio (default) or streamable HTTP at `/mcp`. */
export type ServeArguments =
  | { readonly transport: 'stdio' }
  | { readonly transport: 'streamable'; readonly port: number; readonly host: string };

export interface ServeOptions {
  /** stdio transport streams; default the process's own. */
  readonly stdin?: Readable;
  readonly stdout?: Writable;
  /** Called once the HTTP server listens, with its full MCP URL. */
  readonly onListening?: (url: string) => void;
  /** Aborting stops serving; the returned promise then resolves once all is closed. */
  readonly signal?: AbortSignal;
}

/** Creates a fresh McpServer; streamable HTTP calls it once per session. */
export type McpServerFactory = () => McpServer;

const USAGE = 'usage: <server> [--transport stdio|streamable] [--port N] [--host ADDRESS]';

/**
 * Parses `--transport stdio|streamable --port N --host ADDRESS` (also `--flag=value`).
 * `--port` is required for streamable (0 picks a free port); host defaults to 127.0.0.1.
 * @throws TaskflowError `usage` on unknown flags or bad values.
 */
export function parseServeArguments(argv: readonly string[]): ServeArguments {
  const values = new Map<string, string>();
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] ?? '';
    const match = /^--(transport|port|host)(?:=(.*))?$/.exec(argument);
    if (!match?.[1]) throw new TaskflowError('usage', `unknown argument "${argument}"; ${USAGE}`);
    const value = match[2] ?? argv[++index];
    if (value === undefined)
      throw new TaskflowError('usage', `${argument} needs a value; ${USAGE}`);
    values.set(match[1], value);
  }
  const transport = values.get('transport') ?? 'stdio';
  if (transport === 'stdio') {
    if (values.has('port') || values.has('host')) {
      throw new TaskflowError('usage', `--port and --host need --transport streamable; ${USAGE}`);
    }
    return { transport };
  }
  if (transport !== 'streamable') {
    throw new TaskflowError('usage', `unknown transport "${transport}"; ${USAGE}`);
  }
  const portText = values.get('port');
  const port = Number(portText);
  if (portText === undefined || !/^\d+$/.test(portText) || port > 65535) {
    throw new TaskflowError('usage', `--port must be a number from 0 to 65535; ${USAGE}`);
  }
  return { transport, port, host: values.get('host') ?? '127.0.0.1' };
}

/**
 * Serves MCP until `options.signal` aborts or, for stdio, stdin ends (the client closed).
 * Resolves after the server and its transport are closed, so nothing keeps the process alive;
 * in-flight tool calls see their request signal aborted.
 */
export async function serveMcpServer(
  createMcpServer: McpServerFactory,
  serveArguments: ServeArguments,
  options: ServeOptions = {},
): Promise<void> {
  if (options.signal?.aborted) return;
  if (serveArguments.transport === 'stdio') {
    await serveStdio(createMcpServer, options);
  } else {
    await serveStreamable(createMcpServer, serveArguments, options);
  }
}

async function serveStdio(createMcpServer: McpServerFactory, options: ServeOptions): Promise<void> {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const server = createMcpServer();
  const closed = new Promise<void>((resolve) => {
    server.server.onclose = resolve;
  });
  const stop = (): void => void server.close().catch(() => undefined);
  stdin.once('end', stop);
  stdin.once('close', stop);
  // A vanished client makes stdout fail with EPIPE; that is a close, not a crash.
  stdout.on('error', stop);
  options.signal?.addEventListener('abort', stop, { once: true });
  try {
    await server.connect(new StdioServerTransport(stdin, stdout));
    await closed;
  } finally {
    stdin.off('end', stop);
    stdin.off('close', stop);
    options.signal?.removeEventListener('abort', stop);
    // A paused but open stdin pipe would keep the event loop alive after a SIGTERM.
    stdin.destroy();
  }
}

interface Session {
  readonly server: McpServer;
  readonly transport: StreamableHTTPServerTransport;
}

async function serveStreamable(
  createMcpServer: McpServerFactory,
  serveArguments: Extract<ServeArguments, { transport: 'streamable' }>,
  options: ServeOptions,
): Promise<void> {
  // Imported here, not at the top: it pulls in an HTTP framework (~50 ms of start-up) that
  // stdio servers, the common case, never use.
  const { StreamableHTTPServerTransport } =
    await import('@modelcontextprotocol/sdk/server/streamableHttp.js');
  const sessions = new Map<string, Session>();
  const loopbackOnly = isLoopback(serveArguments.host);

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = new URL(request.url ?? '/', 'http://placeholder').pathname;
    if (path !== '/mcp') return sendJsonError(response, 404, 'Not found: the MCP endpoint is /mcp');
    // Without this check a web page could reach a loopback server through DNS rebinding.
    if (loopbackOnly && !isLoopback(hostnameOf(request.headers.host))) {
      return sendJsonError(response, 403, 'Forbidden: Host header is not a loopback name');
    }
    const sessionId = request.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const session = sessions.get(sessionId);
      if (!session) return sendJsonError(response, 404, 'Session not found');
      return session.transport.handleRequest(request, response);
    }
    const server = createMcpServer();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, { server, transport }),
    });
    server.server.onclose = () => {
      if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(request, response);
    // The transport rejected the request (not an initialize): no session to keep.
    if (transport.sessionId === undefined) await server.close();
  };

  const httpServer = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJsonError(response, 500, errorMessage(error));
      else response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(serveArguments.port, serveArguments.host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const { port } = httpServer.address() as AddressInfo;
  const host = serveArguments.host.includes(':') ? `[${serveArguments.host}]` : serveArguments.host;
  options.onListening?.(`http://${host}:${port}/mcp`);

  await new Promise<void>((resolve) => {
    if (options.signal?.aborted) resolve();
    options.signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  const httpClosed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
  await Promise.allSettled([...sessions.values()].map((session) => session.server.close()));
  httpServer.closeAllConnections();
  await httpClosed;
}

function sendJsonError(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

function hostnameOf(hostHeader: string | undefined): string {
  if (hostHeader === undefined) return '';
  const bracketed = /^\[([^\]]*)\]/.exec(hostHeader);
  if (bracketed) return bracketed[1] ?? '';
  return hostHeader.replace(/:\d*$/, '');
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/**
 * Entry point of a bundled server executable: serves according to `process.argv`, stops
 * cleanly on SIGTERM / SIGINT, and prints failures to stderr with exit code 1.
 */
export function runMcpServerMain(createMcpServer: McpServerFactory): void {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const run = async (): Promise<void> => {
    const serveArguments = parseServeArguments(process.argv.slice(2));
    await serveMcpServer(createMcpServer, serveArguments, {
      signal: controller.signal,
      onListening: (url) => process.stderr.write(`listening on ${url}\n`),
    });
  };
  run()
    .catch((error: unknown) => {
      process.stderr.write(`${errorMessage(error)}\n`);
      process.exitCode = 1;
    })
    .finally(() => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
    });
}
