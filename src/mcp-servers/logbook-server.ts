import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { LogbookStore } from './logbook-store.js';
import { pythonJsonDumps } from './python-json.js';
import { textResult } from './text-result.js';

const key = z.string().describe('The key that identifies the logbook.');

/**
 * The logbook MCP server, as seclab-taskflow-agent's server of that name: entries are kept
 * per key; `logbook_read` answers with the key's entries as a JSON list (laid out as
 * Python's `json.dumps(..., indent=2)`), `[]` for an unknown key. Store failures become
 * error results naming the file. `onToolCall` hears the name of every tool called.
 */
export function createLogbookServer(
  store: LogbookStore,
  onToolCall: (tool: string) => void = () => undefined,
): McpServer {
  const server = new McpServer({ name: 'Logbook', version: '1.0.0' });

  server.registerTool(
    'logbook_write',
    {
      description:
        'Add an entry to the logbook kept under a key. This is how you write in your logbook.',
      // seclab's argument order: entry, then key.
      inputSchema: { entry: z.string().describe('The text to record.'), key },
      annotations: { destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    async (args) => {
      onToolCall('logbook_write');
      await store.write(args.key, args.entry);
      return textResult(`Stored logbook entry for \`${args.key}\``);
    },
  );

  server.registerTool(
    'logbook_read',
    {
      description: 'Read the entries kept under a key. This is how you read your logbook.',
      inputSchema: { key },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async (args) => {
      onToolCall('logbook_read');
      return textResult(pythonJsonDumps(await store.read(args.key), { indent: 2 }));
    },
  );

  server.registerTool(
    'logbook_erase',
    {
      description: 'Erase the entries kept under a key. This is how you erase in your logbook.',
      inputSchema: { key },
      annotations: { destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    async (args) => {
      onToolCall('logbook_erase');
      await store.erase(args.key);
      return textResult(`Erased logbook entries stored for \`${args.key}\``);
    },
  );

  return server;
}
