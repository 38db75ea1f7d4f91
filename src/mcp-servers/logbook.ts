/**
 * Executable: the logbook MCP server (`node dist/mcp-servers/logbook.js [--transport ...]`),
 * configured like seclab's: state in `$LOGBOOK_STATE_DIR/logbook.json` (default: see
 * resolveStateDirectory), log lines also in `$LOG_DIR/mcp_logbook.log` when `LOG_DIR` is set.
 */
import { createLogbookServer } from './logbook-server.js';
import { LogbookStore } from './logbook-store.js';
import { runMcpServerMain } from './serve.js';
import { createServerLog } from './server-log.js';
import { resolveStateDirectory } from './state-directory.js';

const log = createServerLog('logbook', process.env, (text) => void process.stderr.write(text));
const store = new LogbookStore(
  resolveStateDirectory(process.env.LOGBOOK_STATE_DIR, 'logbook', process.env),
);
log('INFO', `logbook: state in ${store.filePath}`);
runMcpServerMain(() =>
  createLogbookServer(store, (tool) => log('DEBUG', `logbook: ${tool} called`)),
);
