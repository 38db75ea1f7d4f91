import { appendFile, readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { textResult } from './text-result.js';

export interface ResilienceDiagnosticsOptions {
  /** Ends the server process (the executable passes `process.exit`). */
  readonly exitProcess: (code: number) => void;
  /** Written into marker files: which process executed a call. */
  readonly processId: number;
  readonly log?: (line: string) => void;
}

/** How long `crash` and `exit: true` leave the request in flight before exiting. */
const EXIT_DELAY_MS = 20;
/** Longest `ms` accepted, so a typo cannot park a test forever. */
const MAX_MARKER_SLEEP_MS = 600_000;

const markerInput = {
  file: z.string().min(1).describe('File to append one line ("<pid>") to per execution.'),
  ms: z
    .number()
    .int()
    .min(0)
    .max(MAX_MARKER_SLEEP_MS)
    .optional()
    .describe('Wait this long (honouring cancellation) before answering. Default 0.'),
  exit: z
    .boolean()
    .optional()
    .describe('Exit the server process instead of answering (the call never completes).'),
  misbehave_times: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe(
      'Apply `ms` and `exit` only while the file holds at most this many lines; later executions answer at once. Default: always.',
    ),
};

/**
 * Diagnostic tools for testing the runner's tool resilience (resilience.md "Tools"); the
 * echo executable registers them only when TASKFLOW_ECHO_RESILIENCE_TOOLS=1:
 * - `write_marker` (not idempotent) and `read_only_marker` (claims `readOnlyHint`, so the
 *   runner may re-execute it — it still appends, so tests can count executions):
 *   {file, ms?, exit?, misbehave_times?} append "<pid>" to `file`, then misbehave (sleep
 *   `ms`, or exit the process) and finally answer "marker N" (N = lines in the file);
 * - `crash`: exits the server process (code 1) while the call is in flight.
 */
export function registerResilienceDiagnostics(
  server: McpServer,
  options: ResilienceDiagnosticsOptions,
): void {
  const mark = async (
    args: {
      file: string;
      ms?: number | undefined;
      exit?: boolean | undefined;
      misbehave_times?: number | undefined;
    },
    signal: AbortSignal,
  ) => {
    await appendFile(args.file, `${options.processId}\n`);
    const lines = (await readFile(args.file, 'utf8')).split('\n').filter(Boolean).length;
    const misbehave = args.misbehave_times === undefined || lines <= args.misbehave_times;
    if (misbehave && args.exit === true) {
      options.log?.(`marker: exiting during execution ${lines} as asked`);
      setTimeout(() => options.exitProcess(1), EXIT_DELAY_MS);
      return new Promise<never>(() => undefined);
    }
    if (misbehave && (args.ms ?? 0) > 0) {
      try {
        await delay(args.ms, undefined, { signal });
      } catch (error) {
        options.log?.(`marker: execution ${lines} cancelled`);
        throw error;
      }
    }
    return textResult(`marker ${lines}`);
  };

  server.registerTool(
    'write_marker',
    {
      description:
        'Diagnostic: append a line to a file (not idempotent), optionally sleep or exit first.',
      inputSchema: markerInput,
      annotations: { readOnlyHint: false, idempotentHint: false, destructiveHint: false },
    },
    (args, extra) => mark(args, extra.signal),
  );

  server.registerTool(
    'read_only_marker',
    {
      description:
        'Diagnostic: like write_marker, but declared read-only so a runner may re-execute it.',
      inputSchema: markerInput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args, extra) => mark(args, extra.signal),
  );

  server.registerTool(
    'crash',
    {
      description: 'Diagnostic: exit the server process while the call is in flight.',
      annotations: { readOnlyHint: false, idempotentHint: false },
    },
    () => {
      options.log?.('crash: exiting as asked');
      setTimeout(() => options.exitProcess(1), EXIT_DELAY_MS);
      return new Promise<never>(() => undefined);
    },
  );
}
