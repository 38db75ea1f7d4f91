/**
 * Executable: the memcache MCP server (`node dist/mcp-servers/memcache.js [--transport ...]`).
 * State lives in `$MEMCACHE_STATE_DIR/memcache.json`; an unset or empty variable means
 * `<tmpdir>/taskflow-memcache`.
 */
import { resolveStateDirectory } from './json-state-file.js';
import { createMemcacheServer } from './memcache-server.js';
import { MemcacheStore } from './memcache-store.js';
import { runMcpServerMain } from './serve.js';

// One store for all sessions, so writes from concurrent streamable sessions are serialised too.
const store = new MemcacheStore(
  resolveStateDirectory(process.env.MEMCACHE_STATE_DIR, 'taskflow-memcache'),
);
runMcpServerMain(() => createMemcacheServer(store));
