/**
 * Executable: the logbook MCP server (`node dist/mcp-servers/logbook.js [--transport ...]`).
 * State lives in `$LOGBOOK_STATE_DIR/logbook.json`; an unset or empty variable means
 * `<tmpdir>/taskflow-logbook`.
 */
import { resolveStateDirectory } from './json-state-file.js';
import { createLogbookServer } from './logbook-server.js';
import { LogbookStore } from './logbook-store.js';
import { runMcpServerMain } from './serve.js';

const store = new LogbookStore(
  resolveStateDirectory(process.env.LOGBOOK_STATE_DIR, 'taskflow-logbook'),
);
runMcpServerMain(() => createLogbookServer(store));
