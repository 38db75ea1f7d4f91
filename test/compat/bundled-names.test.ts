import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  messagesOf,
  startFakeModelServer,
  type FakeModelServer,
} from '../fakes/fake-model-server.js';
import { REPO_ROOT, makeSandbox, runCli } from '../e2e/cli-harness.js';
import { toolNamesOf } from '../e2e/run-kit.js';
import {
  FAKE_SECLAB_SITE,
  HEADER,
  PRINTS_ENV_SERVER,
  PYTHON_SERVERS,
  callToolThenAnswer,
  lastToolResult,
  pythonWrapperFolder,
  runFlow,
  writeProject,
} from './toolbox-compat-kit.js';

/**
 * Every name seclab-taskflow-agent bundles resolves to taskflow's bundle and validates, and
 * `seclab_taskflow_agent.toolboxes.codeql` runs seclab's Python CodeQL server the way
 * seclab's toolbox file does: `python -m seclab_taskflow_agent.mcp_servers.codeql.mcp_server`
 * at 127.0.0.1:9999. Without that pip package the task fails at once, saying how to install it.
 */

const STACK_LINE = /^\s+at /m;
const SECLAB_PACKAGE = path.join(
  REPO_ROOT,
  '../shared/reference/seclab-taskflow-agent/src/seclab_taskflow_agent',
);
const BUNDLE_FOLDERS = ['taskflows', 'personalities', 'toolboxes', 'prompts', 'model_configs'];
const CODEQL_MODULE = 'seclab_taskflow_agent.mcp_servers.codeql.mcp_server';
const CODEQL_PORT = 9999;

/** `<folder>.<name>` of every YAML file seclab ships inside its package. */
function seclabBundledNames(): string[] {
  return BUNDLE_FOLDERS.flatMap((folder) => {
    const directory = path.join(SECLAB_PACKAGE, folder);
    if (!fs.existsSync(directory)) return [];
    return fs
      .readdirSync(directory)
      .filter((name) => name.endsWith('.yaml'))
      .map((name) => `${folder}.${name.slice(0, -'.yaml'.length)}`);
  });
}

let server: FakeModelServer;
let sandbox: string;
let project: string;

beforeEach(async () => {
  server = await startFakeModelServer();
  sandbox = makeSandbox();
  project = path.join(sandbox, 'project');
  fs.mkdirSync(project, { recursive: true });
});
afterEach(async () => {
  await server.close();
  fs.rmSync(sandbox, { recursive: true, force: true });
});

/** True when something accepts TCP connections on 127.0.0.1:`port`. */
function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function taskflow(task: string): string {
  return `${HEADER} taskflow\ntaskflow:\n  - task:\n${task
    .trim()
    .split('\n')
    .map((line) => `      ${line}`)
    .join('\n')}\n`;
}

describe('names seclab bundles', () => {
  const names = seclabBundledNames();

  it('are the ones we expect, codeql and github_official included', () => {
    expect(names).toEqual(
      expect.arrayContaining([
        'personalities.assistant',
        'personalities.c_auditer',
        'toolboxes.codeql',
        'toolboxes.echo',
        'toolboxes.github_official',
        'toolboxes.logbook',
        'toolboxes.memcache',
      ]),
    );
  });

  it('each resolves to our bundle under both prefixes and validates', async () => {
    const references = names.flatMap((name) => [
      `seclab_taskflow_agent.${name}`,
      `taskflow.${name}`,
    ]);
    const result = await runCli(['validate', '--json', ...references], sandbox, { cwd: project });
    expect(result.stderr).not.toMatch(STACK_LINE);
    const report = JSON.parse(result.stdout) as { valid: boolean; files: string[] };
    expect(report).toMatchObject({ valid: true });
    const files = report.files.map((file) => path.resolve(project, file));
    for (const name of names) {
      expect(files).toContain(path.join(REPO_ROOT, ...name.split('.')) + '.yaml');
    }
    expect(result.code).toBe(0);
  });

  it("seclab's own copies of them validate unchanged", async () => {
    const files = names.map((name) => path.join(SECLAB_PACKAGE, ...name.split('.')) + '.yaml');
    const result = await runCli(['validate', ...files], sandbox, { cwd: project });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});

describe('seclab_taskflow_agent.toolboxes.codeql', () => {
  it('without the pip package: the task fails at once, naming the package and how to install it', async () => {
    expect(() =>
      execFileSync('python3', ['-c', 'import seclab_taskflow_agent'], { stdio: 'ignore' }),
    ).toThrow(); // this test needs a python3 without seclab-taskflow-agent
    const log = path.join(sandbox, 'python3-calls.log');
    const bin = pythonWrapperFolder(path.join(sandbox, 'bin'), { logFile: log });
    // c_auditer lists memcache and codeql; no task `toolboxes`, so both are started.
    writeProject(project, {
      'flow.yaml': taskflow(`
must_complete: true
agents: [seclab_taskflow_agent.personalities.c_auditer]
user_prompt: Audit the code.`),
    });
    const { result, events, warnings } = await runFlow(server, sandbox, project, 'flow.yaml', {
      PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`,
    });
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.code).toBe(1);
    expect(events.at(-1)).toMatchObject({
      type: 'taskflow-end',
      status: 'failed',
      error: `toolbox "codeql" failed to start: python3 cannot import ${CODEQL_MODULE}; run \`pip install seclab-taskflow-agent\``,
    });
    // Failed before any server was launched: no start retries, no model request, and
    // python3 ran once, for the import check, never with `-m`.
    expect(warnings.filter((warning) => warning.includes('retrying'))).toEqual([]);
    expect(server.requests).toHaveLength(0);
    const calls = fs.readFileSync(log, 'utf8').trim().split('\n');
    expect(calls).toHaveLength(1);
    expect(calls[0]?.startsWith('-c ')).toBe(true);
    expect(calls[0]?.endsWith(` ${CODEQL_MODULE}`)).toBe(true);
  });

  it('without python3 on PATH: fails at once, saying what to install', async () => {
    const emptyBin = path.join(sandbox, 'empty-bin');
    fs.mkdirSync(emptyBin);
    writeProject(project, {
      'flow.yaml': taskflow(`
agents: [seclab_taskflow_agent.personalities.assistant]
toolboxes: [seclab_taskflow_agent.toolboxes.codeql]
user_prompt: Query the database.`),
    });
    const { result, events } = await runFlow(server, sandbox, project, 'flow.yaml', {
      PATH: emptyBin,
    });
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.code).toBe(1);
    expect(events.at(-1)).toMatchObject({
      error:
        'toolbox "codeql" failed to start: python3 was not found; install Python 3, then run `pip install seclab-taskflow-agent`',
    });
    expect(server.requests).toHaveLength(0);
  });

  it("with the package: runs seclab's server module with the toolbox env and connects at :9999", async () => {
    expect(await isListening(CODEQL_PORT), `port ${CODEQL_PORT} is taken`).toBe(false);
    const log = path.join(sandbox, 'python3-calls.log');
    const bin = pythonWrapperFolder(path.join(sandbox, 'bin'), {
      logFile: log,
      pythonPath: `${FAKE_SECLAB_SITE}${path.delimiter}${PYTHON_SERVERS}`,
    });
    writeProject(project, {
      'flow.yaml': taskflow(`
agents: [seclab_taskflow_agent.personalities.assistant]
toolboxes: [seclab_taskflow_agent.toolboxes.codeql]
user_prompt: Query the database.`),
    });
    callToolThenAnswer(server, 'codeql__probe');
    const { result, warnings } = await runFlow(server, sandbox, project, 'flow.yaml', {
      PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`,
      CODEQL_DBS_BASE_PATH: '/data/codeql-dbs',
      CODEQL_CLI: undefined,
      LOG_DIR: undefined,
    });
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.code).toBe(0);
    const seen = lastToolResult(server) as { module: string; env: Record<string, string> };
    expect(seen.module).toBe(CODEQL_MODULE);
    expect(seen.env).toMatchObject({
      CODEQL_DBS_BASE_PATH: '/data/codeql-dbs',
      GH_NO_UPDATE_NOTIFIER: 'Disable',
      GH_NO_EXTENSION_UPDATE_NOTIFIER: 'Disable',
    });
    // Unset: left out, so seclab's server falls back to `codeql` and its own log folder.
    expect(seen.env).not.toHaveProperty('CODEQL_CLI');
    expect(seen.env).not.toHaveProperty('LOG_DIR');
    expect(warnings).toEqual([
      'toolbox "seclab_taskflow_agent.toolboxes.codeql" starts without server_params.env.CODEQL_CLI: environment variable "CODEQL_CLI" is not set',
      'toolbox "seclab_taskflow_agent.toolboxes.codeql" starts without server_params.env.LOG_DIR: environment variable "LOG_DIR" is not set',
    ]);
    const system = messagesOf(server.requests[0]!).find((message) => message.role === 'system');
    expect(String(system?.content)).toContain('## Working with CodeQL databases');
    const calls = fs.readFileSync(log, 'utf8').trim().split('\n');
    expect(calls.at(-1)).toBe(`-m ${CODEQL_MODULE}`);
    expect(await isListening(CODEQL_PORT)).toBe(false);
  });

  it('a personality that lists codeql is fine when the task names its own toolboxes', async () => {
    const log = path.join(sandbox, 'python3-calls.log');
    const bin = pythonWrapperFolder(path.join(sandbox, 'bin'), { logFile: log });
    writeProject(project, {
      'toolboxes/probe.yaml': `${HEADER} toolbox
server_params:
  kind: stdio
  command: "{{ runner.node }}"
  args: [${JSON.stringify(PRINTS_ENV_SERVER)}]
`,
      'flow.yaml': taskflow(`
agents: [seclab_taskflow_agent.personalities.c_auditer]
toolboxes: [toolboxes.probe]
user_prompt: Audit the code.`),
    });
    callToolThenAnswer(server, 'probe__env');
    const { result, warnings } = await runFlow(server, sandbox, project, 'flow.yaml', {
      PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`,
    });
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.code).toBe(0);
    expect(toolNamesOf(server.requests[0]!)).toEqual(['probe__env']);
    expect(warnings).toEqual([]);
    // python3 never ran: codeql was neither checked nor started.
    expect(fs.existsSync(log)).toBe(false);
  });
});
