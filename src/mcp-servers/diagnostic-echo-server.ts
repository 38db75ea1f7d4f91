import { setTimeout as delay } from 'node:timers/promises';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import {
  registerResilienceDiagnostics,
  type ResilienceDiagnosticsOptions,
} from './echo-resilience-tools.js';
import { textResult } from './text-result.js';

/** State shared by every session of one diagnostic echo server process. */
export interface DiagnosticEchoState {
  /** What the `counter` tool last returned. */
  count: number;
}

export interface DiagnosticEchoOptions {
  /** Per-process state; pass the same object to every session's server. */
  readonly state?: DiagnosticEchoState;
  /** What `echo_env` reads; the process environment in the executable. */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  /** Diagnostic lines (the executable writes them to stderr, which the runner logs). */
  readonly log?: (line: string) => void;
  /**
   * Also register the resilience diagnostics (`write_marker`, `read_only_marker`, `crash`;
   * see registerResilienceDiagnostics). Off by default: agents never see them.
   */
  readonly resilienceDiagnostics?: Omit<ResilienceDiagnosticsOptions, 'log'>;
}

const READ = { readOnlyHint: true, idempotentHint: true, openWorldHint: false } as const;

/** Longest `sleep` accepted (one hour), so a typo cannot park a test forever. */
export const MAX_SLEEP_MS = 3_600_000;

/**
 * taskflow's diagnostic echo server, for testing the runner rather than for agents; the echo
 * executable serves it instead of seclab's echo only when TASKFLOW_ECHO_DIAGNOSTICS=1 (or
 * TASKFLOW_ECHO_RESILIENCE_TOOLS=1), so a normal run never shows these tools to a model:
 * - `echo` {message}: answers the message unchanged;
 * - `echo_env` {name}: the variable's value in the server process, or "(unset)" — shows
 *   which environment servers receive;
 * - `sleep` {ms}: waits, honouring cancellation, then answers "slept N ms"; a cancelled
 *   sleep logs "sleep cancelled after N ms";
 * - `counter`: increments a per-process counter and returns it — shows whether calls
 *   reached the same process;
 * - with `resilienceDiagnostics`: the crash/timeout tools of echo-resilience-tools.ts.
 */
export function createDiagnosticEchoServer(options: DiagnosticEchoOptions = {}): McpServer {
  const state = options.state ?? { count: 0 };
  const environment = options.environment ?? {};
  const server = new McpServer({ name: 'taskflow-echo', version: '1.0.0' });

  server.registerTool(
    'echo',
    {
      description: 'Return the message unchanged.',
      inputSchema: { message: z.string().describe('The text to echo back.') },
      annotations: READ,
    },
    (args) => textResult(args.message),
  );

  server.registerTool(
    'echo_env',
    {
      description:
        'Diagnostic: the value of an environment variable in the server process, or "(unset)".',
      inputSchema: { name: z.string().min(1).describe('The variable name.') },
      annotations: READ,
    },
    (args) => textResult(environment[args.name] ?? '(unset)'),
  );

  server.registerTool(
    'sleep',
    {
      description: 'Diagnostic: wait the given number of milliseconds, then answer "slept N ms".',
      inputSchema: {
        ms: z
          .number()
          .int()
          .min(0)
          .max(MAX_SLEEP_MS)
          .describe('How long to wait, in milliseconds.'),
      },
      annotations: READ,
    },
    async (args, extra) => {
      const startedMs = performance.now();
      try {
        await delay(args.ms, undefined, { signal: extra.signal });
      } catch (error) {
        const elapsedMs = Math.round(performance.now() - startedMs);
        options.log?.(`sleep cancelled after ${elapsedMs} ms`);
        // The SDK sends no response to a cancelled request; rethrowing just ends the handler.
        throw error;
      }
      return textResult(`slept ${args.ms} ms`);
    },
  );

  server.registerTool(
    'counter',
    {
      description: 'Diagnostic: increment a per-process counter and return its new value.',
      annotations: { destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    () => {
      state.count += 1;
      return textResult(String(state.count));
    },
  );

  if (options.resilienceDiagnostics) {
    registerResilienceDiagnostics(server, {
      ...options.resilienceDiagnostics,
      ...(options.log && { log: options.log }),
    });
  }

  return server;
}
