import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { LogbookStore } from './logbook-store.js';
import { textResult } from './text-result.js';

/**
 * The logbook MCP server: an append-only, numbered, timestamped logbook. `logbook_read`
 * answers with a JSON list so a result can drive `repeat_prompt`. Store failures become
 * error results carrying the file path.
 */
export function createLogbookServer(store: LogbookStore): McpServer {
  const server = new McpServer({ name: 'taskflow-logbook', version: '1.0.0' });

  server.registerTool(
    'logbook_write',
    {
      description: 'Append an entry to the logbook. Answers with the entry number.',
      inputSchema: { entry: z.string().describe('The text to record.') },
      annotations: { destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    async (args) => textResult(String(await store.write(args.entry))),
  );

  server.registerTool(
    'logbook_read',
    {
      description:
        'Read logbook entries as a JSON list of {number, timestamp, entry}, oldest first.',
      inputSchema: {
        from: z
          .number()
          .int()
          .min(1)
          .optional()
          .describe('First entry number to return; default 1 (all entries).'),
      },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async (args) => textResult(JSON.stringify(await store.read(args.from))),
  );

  server.registerTool(
    'logbook_erase',
    {
      description: 'Erase the whole logbook; numbering restarts at 1.',
      annotations: { destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    async () => textResult(`logbook erased (${await store.erase()} entries removed)`),
  );

  return server;
}
