import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { MemcacheBackend } from './memcache-backend.js';
import { pythonJsonDumps } from './python-json.js';
import { textResult } from './text-result.js';

const key = z.string().describe('The memory key.');
const value = z
  .unknown()
  .describe('Any JSON value: string, number, boolean, null, list or object.');

/** Tools that never change the memory. */
const READ = { readOnlyHint: true, idempotentHint: true, openWorldHint: false } as const;

/**
 * The memcache MCP server, as seclab-taskflow-agent's server of that name: the same seven
 * tools, argument names and answers (reads answer with JSON text laid out as Python's
 * `json.dumps`, so a result can drive `repeat_prompt`; a missing key reads as `""`).
 * Storage failures (unwritable folder, invalid file) become error results naming the file.
 * `onToolCall` hears the name of every tool called (the executable logs it).
 */
export function createMemcacheServer(
  backend: MemcacheBackend,
  onToolCall: (tool: string) => void = () => undefined,
): McpServer {
  const server = new McpServer({ name: 'Memcache', version: '1.0.0' });
  const answer = async (tool: string, text: () => Promise<string>) => {
    onToolCall(tool);
    return textResult(await text());
  };

  server.registerTool(
    'memcache_set_state',
    {
      description:
        'Store a value under a key in the memory cache, replacing what was there. Use it as your memory.',
      inputSchema: { key, value },
      annotations: { destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    (args) => answer('memcache_set_state', () => backend.setState(args.key, args.value ?? null)),
  );

  server.registerTool(
    'memcache_get_state',
    {
      description:
        'Read the value stored under a key in the memory cache. The answer is the value as JSON text.',
      inputSchema: { key },
      annotations: READ,
    },
    (args) =>
      answer('memcache_get_state', async () => pythonJsonDumps(await backend.getState(args.key))),
  );

  server.registerTool(
    'memcache_list_keys',
    { description: 'List every key currently in your memory cache.', annotations: READ },
    () => answer('memcache_list_keys', () => backend.listKeys()),
  );

  server.registerTool(
    'memcache_get_all_entries',
    {
      description: 'Read everything in your memory cache: a JSON list of {"key", "value"} entries.',
      annotations: READ,
    },
    () =>
      answer('memcache_get_all_entries', async () =>
        pythonJsonDumps(await backend.getAllEntries()),
      ),
  );

  server.registerTool(
    'memcache_add_state',
    {
      description:
        'Add to the value already stored under a key in your memory cache. Works for lists and strings.',
      inputSchema: { key, value },
      annotations: { destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    (args) => answer('memcache_add_state', () => backend.addState(args.key, args.value ?? null)),
  );

  server.registerTool(
    'memcache_delete_state',
    {
      description: 'Remove a key, and its value, from the memory cache.',
      inputSchema: { key },
      annotations: { destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    (args) => answer('memcache_delete_state', () => backend.deleteState(args.key)),
  );

  server.registerTool(
    'memcache_clear_cache',
    {
      description: 'Empty the memory cache: every stored key and value is dropped.',
      annotations: { destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    () => answer('memcache_clear_cache', () => backend.clearCache()),
  );

  return server;
}
