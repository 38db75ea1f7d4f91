import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { toolResultsOf, type FakeModelServer, type FakeReply } from '../fakes/fake-model-server.js';
import { REPO_ROOT, type CliResult } from '../e2e/cli-harness.js';
import { contractEvents, ofType, runTaskflow } from '../e2e/run-kit.js';

/**
 * Shared by the toolbox compat tests (toolbox-env, bundled-names): a project folder written
 * by the test, a model that calls one tool then answers, and the real MCP servers used.
 */

/** stdio MCP server (node): tool `env` answers with its whole environment as JSON. */
export const PRINTS_ENV_SERVER = path.join(REPO_ROOT, 'test/fixtures/mcp/prints-env.mjs');
/** Folder of the Python fixture servers (fake_mcp_http.py: streamable HTTP, tool `probe`). */
export const PYTHON_SERVERS = path.join(REPO_ROOT, 'test/fixtures/compat/python-servers');
/** A folder holding a stand-in `seclab_taskflow_agent.mcp_servers.codeql.mcp_server`. */
export const FAKE_SECLAB_SITE = path.join(PYTHON_SERVERS, 'site');

export const HEADER = `seclab-taskflow-agent:\n  version: "1.0"\n  filetype:`;

/** Writes `files` (relative path -> text) under `root`; returns `root`. */
export function writeProject(root: string, files: Readonly<Record<string, string>>): string {
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(root, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  return root;
}

/** First turn: call `tool` (no arguments); then answer quoting the tool results. */
export function callToolThenAnswer(server: FakeModelServer, tool: string): void {
  server.setHandler((request): FakeReply => {
    const results = toolResultsOf(request);
    if (results.length === 0)
      return { kind: 'message', toolCalls: [{ name: tool, arguments: {} }] };
    return { kind: 'message', text: `done: ${results.length} result(s)` };
  });
}

/** The JSON the probed tool returned last (the latest tool result the model received). */
export function lastToolResult(server: FakeModelServer): Record<string, unknown> {
  const request = server.requests.findLast((candidate) => toolResultsOf(candidate).length > 0);
  const output = request === undefined ? undefined : toolResultsOf(request).at(-1)?.output;
  if (output === undefined) throw new Error('the model never received a tool result');
  return JSON.parse(output) as Record<string, unknown>;
}

export interface JsonlRun {
  readonly result: CliResult;
  readonly events: Record<string, unknown>[];
  readonly warnings: string[];
}

/** `taskflow run <flow> --output jsonl` in `project`; events checked against the contract. */
export async function runFlow(
  server: FakeModelServer,
  sandbox: string,
  project: string,
  flow: string,
  env: Record<string, string | undefined> = {},
): Promise<JsonlRun> {
  const result = await runTaskflow(server, sandbox, [flow, '--output', 'jsonl'], {
    cwd: project,
    env,
  });
  const events = contractEvents(result.stdout);
  const warnings = ofType(events, 'warning').map((event) => String(event.message));
  return { result, events, warnings };
}

/** The interpreter `python3` on PATH really is (pyenv shims and the like resolved). */
export function realPython3(): string {
  return execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], {
    encoding: 'utf8',
  }).trim();
}

/**
 * A folder with a `python3` that records each call (its arguments, one line) in `logFile`
 * (newlines as spaces) and runs the real interpreter, with `pythonPath` as PYTHONPATH when given: put first on
 * PATH, it makes a package "installed" without touching the machine's Python.
 */
export function pythonWrapperFolder(
  folder: string,
  options: { readonly logFile: string; readonly pythonPath?: string },
): string {
  fs.mkdirSync(folder, { recursive: true });
  const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
  const lines = [
    '#!/bin/sh',
    `printf '%s' "$*" | tr '\\n' ' ' >> ${quote(options.logFile)}`,
    `echo >> ${quote(options.logFile)}`,
    ...(options.pythonPath === undefined
      ? []
      : [`PYTHONPATH=${quote(options.pythonPath)}`, 'export PYTHONPATH']),
    `exec ${quote(realPython3())} "$@"`,
  ];
  const wrapper = path.join(folder, 'python3');
  fs.writeFileSync(wrapper, `${lines.join('\n')}\n`, { mode: 0o755 });
  return folder;
}
