/**
 * Executable: the echo MCP server (`node dist/mcp-servers/echo.js [--transport ...]`),
 * including its diagnostic tools (see createEchoServer).
 */
import { createEchoServer } from './echo-server.js';
import { runMcpServerMain } from './serve.js';

const state = { count: 0 };
const log = (line: string): void => void process.stderr.write(`${line}\n`);
runMcpServerMain(() => createEchoServer({ state, environment: process.env, log }));
