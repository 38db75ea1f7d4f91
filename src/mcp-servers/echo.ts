/**
 * Executable: the echo MCP server (`node dist/mcp-servers/echo.js [--transport ...]`), as
 * seclab's (see createEchoServer; log lines also in `$LOG_DIR/mcp_echo.log` when `LOG_DIR`
 * is set). taskflow's own tests switch it to the diagnostic echo server:
 * TASKFLOW_ECHO_DIAGNOSTICS=1 serves `echo`, `echo_env`, `sleep` and `counter` instead, and
 * TASKFLOW_ECHO_RESILIENCE_TOOLS=1 adds `write_marker`, `read_only_marker` and `crash` to those.
 */
import { createDiagnosticEchoServer } from './diagnostic-echo-server.js';
import { createEchoServer } from './echo-server.js';
import { runMcpServerMain } from './serve.js';
import { createServerLog } from './server-log.js';

const resilience = process.env.TASKFLOW_ECHO_RESILIENCE_TOOLS === '1';
if (resilience || process.env.TASKFLOW_ECHO_DIAGNOSTICS === '1') {
  const state = { count: 0 };
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const resilienceDiagnostics = resilience
    ? { exitProcess: (code: number) => process.exit(code), processId: process.pid }
    : undefined;
  runMcpServerMain(() =>
    createDiagnosticEchoServer({
      state,
      environment: process.env,
      log,
      ...(resilienceDiagnostics && { resilienceDiagnostics }),
    }),
  );
} else {
  const log = createServerLog('echo', process.env, (text) => void process.stderr.write(text));
  runMcpServerMain(() => createEchoServer((tool) => log('DEBUG', `echo: ${tool} called`)));
}
