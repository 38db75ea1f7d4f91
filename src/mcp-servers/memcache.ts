/**
 * Executable: the memcache MCP server (`node dist/mcp-servers/memcache.js [--transport ...]`),
 * configured like seclab's by environment: `MEMCACHE_BACKEND` (dictionary_file or sqlite,
 * default sqlite), `MEMCACHE_STATE_DIR` (default: see resolveStateDirectory) and `LOG_DIR`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { memcacheBackendName, type MemcacheBackend } from './memcache-backend.js';
import { DictionaryFileBackend } from './memcache-dictionary-file.js';
import { createMemcacheServer } from './memcache-server.js';
import { SECLAB_SQLITE_FILE_NAME, SqliteRowsBackend } from './memcache-sqlite-rows.js';
import { runMcpServerMain } from './serve.js';
import { createServerLog } from './server-log.js';
import { resolveStateDirectory } from './state-directory.js';

const log = createServerLog('memcache', process.env, (text) => void process.stderr.write(text));
const selected = memcacheBackendName(process.env.MEMCACHE_BACKEND);
if ('error' in selected) {
  // seclab's server fails to start on an unknown backend too; say why, then exit.
  log('ERROR', selected.error);
  process.exitCode = 2;
} else {
  const stateDirectory = resolveStateDirectory(
    process.env.MEMCACHE_STATE_DIR,
    'memcache',
    process.env,
  );
  // One backend for all sessions, so writes from concurrent streamable sessions are serialised too.
  const backend: MemcacheBackend =
    selected.name === 'dictionary_file'
      ? new DictionaryFileBackend(stateDirectory)
      : new SqliteRowsBackend(stateDirectory);
  log('INFO', `memcache: backend ${selected.name}, state in ${backend.filePath}`);
  const seclabDatabase = join(stateDirectory, SECLAB_SQLITE_FILE_NAME);
  if (selected.name === 'sqlite' && existsSync(seclabDatabase)) {
    log(
      'WARNING',
      `memcache: ${seclabDatabase} (seclab's SQLite memory) is not read: ` +
        `taskflow keeps the sqlite backend's rows in ${backend.filePath}`,
    );
  }
  runMcpServerMain(() =>
    createMemcacheServer(backend, (tool) => log('DEBUG', `memcache: ${tool} called`)),
  );
}
