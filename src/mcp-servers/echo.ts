/**
 * Executable: the echo MCP server (`node dist/mcp-servers/echo.js [--transport ...]`),
 * including its diagnostic tools (see createEchoServer). TASKFLOW_ECHO_RESILIENCE_TOOLS=1
 * adds the resilience diagnostics (`write_marker`, `read_only_marker`, `crash`).
 */
import { createEchoServer } from './echo-server.js';
import { runMcpServerMain } from './serve.js';

const state = { count: 0 };
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const resilienceDiagnostics =
  process.env.TASKFLOW_ECHO_RESILIENCE_TOOLS === '1'
    ? { exitProcess: (code: number) => process.exit(code), processId: process.pid }
    : undefined;
runMcpServerMain(() =>
  createEchoServer({
    state,
    environment: process.env,
    log,
    ...(resilienceDiagnostics && { resilienceDiagnostics }),
  }),
);
