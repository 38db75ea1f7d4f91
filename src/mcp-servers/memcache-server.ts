import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { MemcacheStore } from './memcache-store.js';
import { textResult } from './text-result.js';

const key = z.string().min(1).describe('The key.');
const value = z
  .unknown()
  .describe('Any JSON value: string, number, boolean, null, list or object.');

/** Tools that never change the store. */
const READ = { readOnlyHint: true, idempotentHint: true, openWorldHint: false } as const;

/**
 * The memcache MCP server (tool names as in seclab-taskflow-agent). Values round-trip as
 * JSON; reads answer with JSON text so a result can drive `repeat_prompt`. Store failures
 * (unwritable folder, invalid file) become error results carrying the file path.
 */
export function createMemcacheServer(store: MemcacheStore): McpServer {
  const server = new McpServer({ name: 'taskflow-memcache', version: '1.0.0' });

  server.registerTool(
    'memcache_set_state',
    {
      description: 'Set or replace the value stored under a key. This acts as your memory.',
      inputSchema: { key, value },
      // Replacing a value loses the previous one.
      annotations: { destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    async (args) => {
      await store.set(args.key, args.value);
      return textResult(`stored value for key "${args.key}"`);
    },
  );

  server.registerTool(
    'memcache_get_state',
    {
      description: 'Get the value stored under a key, as JSON text.',
      inputSchema: { key },
      annotations: READ,
    },
    async (args) => {
      const found = await store.get(args.key);
      return textResult(
        found.found ? JSON.stringify(found.value) : `no value stored for key "${args.key}"`,
      );
    },
  );

  server.registerTool(
    'memcache_list_keys',
    { description: 'List all keys in the memory cache, as a JSON list.', annotations: READ },
    async () => textResult(JSON.stringify(await store.listKeys())),
  );

  server.registerTool(
    'memcache_get_all_entries',
    { description: 'Get all keys and values, as one JSON object.', annotations: READ },
    async () => textResult(JSON.stringify(await store.getAll())),
  );

  server.registerTool(
    'memcache_add_state',
    {
      description:
        'Add to the value stored under a key: append to a list (a list value is concatenated), ' +
        'concatenate to a string, add to a number. Creates the key when missing.',
      inputSchema: { key, value },
      annotations: { destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    async (args) => {
      const outcome = await store.add(args.key, args.value);
      if (outcome.kind === 'unsupported') {
        return textResult(
          `cannot add a ${outcome.addedType} to the ${outcome.storedType} stored under key ` +
            `"${args.key}": add supports lists, strings and numbers; use memcache_set_state to replace it`,
          true,
        );
      }
      return textResult(`${outcome.kind} value for key "${args.key}"`);
    },
  );

  server.registerTool(
    'memcache_delete_state',
    {
      description: 'Delete a key and its value.',
      inputSchema: { key },
      annotations: { destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    async (args) =>
      textResult(
        (await store.delete(args.key))
          ? `deleted key "${args.key}"`
          : `key "${args.key}" not found, nothing deleted`,
      ),
  );

  server.registerTool(
    'memcache_clear_cache',
    {
      description: 'Clear the memory cache: removes every key and every log.',
      annotations: { destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    async () => {
      const removed = await store.clear();
      return textResult(
        `memory cache cleared (${removed.keys} keys and ${removed.logs} logs removed)`,
      );
    },
  );

  server.registerTool(
    'memcache_append_log',
    {
      description:
        'Append a timestamped entry to the append-only log under a key. Use it for findings ' +
        'that should accumulate rather than be replaced; read them with memcache_get_log.',
      inputSchema: { key, entry: value },
      annotations: { destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    async (args) => {
      const length = await store.appendLog(args.key, args.entry);
      return textResult(`appended entry ${length} to log "${args.key}"`);
    },
  );

  server.registerTool(
    'memcache_get_log',
    {
      description: 'Get all entries of a log as a JSON list of {timestamp, entry}, oldest first.',
      inputSchema: { key },
      annotations: READ,
    },
    async (args) => textResult(JSON.stringify(await store.getLog(args.key))),
  );

  return server;
}
