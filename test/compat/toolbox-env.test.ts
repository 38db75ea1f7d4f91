import fs from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/fake-model-server.js';
import { makeSandbox } from '../e2e/cli-harness.js';
import {
  HEADER,
  PRINTS_ENV_SERVER,
  PYTHON_SERVERS,
  callToolThenAnswer,
  lastToolResult,
  runFlow,
  writeProject,
} from './toolbox-compat-kit.js';

/**
 * seclab's toolbox `env` semantics (mcp_utils.py mcp_client_params, _resolve_headers; env
 * handling as tests/test_env_utils.py and tests/test_mcp_transport.py expect it), seen from
 * outside: the built CLI, the fake model, real MCP server processes that report what they
 * received. An `env` value or optional header that cannot be rendered (an unset variable)
 * is left out with a warning and the server starts; `headers` and `args` fail.
 */

const STACK_LINE = /^\s+at /m;
const UNSET = 'TASKFLOW_COMPAT_NEVER_SET';

let server: FakeModelServer;
let sandbox: string;
let project: string;

beforeEach(async () => {
  server = await startFakeModelServer();
  sandbox = makeSandbox();
  project = path.join(sandbox, 'project');
});
afterEach(async () => {
  await server.close();
  fs.rmSync(sandbox, { recursive: true, force: true });
});

/** A task of the assistant with `toolbox` as its only toolbox. */
function flowWith(toolbox: string, extra = ''): string {
  return `${HEADER} taskflow
${extra}
taskflow:
  - task:
      agents: [seclab_taskflow_agent.personalities.assistant]
      toolboxes: [toolboxes.${toolbox}]
      user_prompt: Report what the server sees.
`;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('stdio toolbox env', () => {
  it('leaves out keys whose variable is unset, with a warning naming toolbox and key; the server starts', async () => {
    writeProject(project, {
      'toolboxes/probe.yaml': `${HEADER} toolbox
server_params:
  kind: stdio
  command: "{{ runner.node }}"
  args: [${JSON.stringify(PRINTS_ENV_SERVER)}]
  env:
    PLAIN: no templates here
    FROM_ENV: '{{ env("TEST_SWAP_ENV_VAR") }}'
    MISSING: "{{ env('${UNSET}') }}"
    PARTLY_MISSING: "prefix-{{ env('${UNSET}') }}"
    MISSING_GLOBAL: "{{ globals.missing }}"
    WITH_DEFAULT: "{{ env('${UNSET}', 'fallback') }}"
    NOT_REQUIRED: "{{ env('${UNSET}', required=False) }}"
    SET_BUT_EMPTY: "{{ env('EMPTY_VAR') }}"
    MY_KEY: "{{ env('MY_KEY') }}"
    RESERVED: "{{ env('TEST_SWAP_RESERVED') }}"
`,
      'flow.yaml': flowWith(
        'probe',
        `globals:
  ghsa: GHSA-5678
  env: should be filtered`,
      ).replace(
        '      user_prompt:',
        `      env:
        MY_KEY: "pvr-{{ globals.ghsa }}"
      user_prompt:`,
      ),
    });
    callToolThenAnswer(server, 'probe__env');
    const { result, warnings } = await runFlow(server, sandbox, project, 'flow.yaml', {
      TEST_SWAP_ENV_VAR: 'hello',
      TEST_SWAP_RESERVED: 'works',
      EMPTY_VAR: '',
    });
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.code).toBe(0);
    const seen = lastToolResult(server);
    // test_env_utils: plain strings unchanged, env() works, task env rendered with globals
    // (TmpEnv), a globals key named `env` does not shadow env().
    expect(seen).toMatchObject({
      PLAIN: 'no templates here',
      FROM_ENV: 'hello',
      MY_KEY: 'pvr-GHSA-5678',
      RESERVED: 'works',
      WITH_DEFAULT: 'fallback',
      NOT_REQUIRED: '',
      SET_BUT_EMPTY: '',
    });
    // mcp_client_params: a value that raises LookupError loses its key.
    for (const key of ['MISSING', 'PARTLY_MISSING', 'MISSING_GLOBAL'])
      expect(seen).not.toHaveProperty(key);
    expect(warnings).toEqual([
      `toolbox "toolboxes.probe" starts without server_params.env.MISSING: environment variable "${UNSET}" is not set`,
      `toolbox "toolboxes.probe" starts without server_params.env.PARTLY_MISSING: environment variable "${UNSET}" is not set`,
      expect.stringMatching(
        /^toolbox "toolboxes\.probe" starts without server_params\.env\.MISSING_GLOBAL: .*globals\.missing/,
      ) as string,
    ]);
  });

  it('TASKFLOW_ENV_DENYLIST entries are trimmed; an empty denylist removes nothing (test_mcp_transport)', async () => {
    writeProject(project, {
      'toolboxes/probe.yaml': `${HEADER} toolbox
server_params:
  kind: stdio
  command: "{{ runner.node }}"
  args: [${JSON.stringify(PRINTS_ENV_SERVER)}]
`,
      'flow.yaml': flowWith('probe'),
    });
    callToolThenAnswer(server, 'probe__env');
    const trimmed = await runFlow(server, sandbox, project, 'flow.yaml', {
      LANG: 'C.UTF-8',
      TERM: 'dumb',
      TASKFLOW_ENV_DENYLIST: ' LANG , ',
      TEST_VAR_A: 'hello',
    });
    expect(trimmed.result.code).toBe(0);
    const seen = lastToolResult(server);
    expect(seen).not.toHaveProperty('LANG');
    expect(seen).toMatchObject({ TERM: 'dumb', PATH: process.env.PATH });
    // seclab hands a launched server its whole environment; taskflow only the safe set and
    // the toolbox's own env (README "Differences from seclab-taskflow-agent").
    expect(seen).not.toHaveProperty('TEST_VAR_A');

    const empty = await runFlow(server, sandbox, project, 'flow.yaml', {
      LANG: 'C.UTF-8',
      TASKFLOW_ENV_DENYLIST: '',
    });
    expect(empty.result.code).toBe(0);
    expect(lastToolResult(server)).toMatchObject({ LANG: 'C.UTF-8' });
  });
});

describe('streamable toolbox launched by command', () => {
  it('env keys and optional headers with unset variables are left out; required headers are sent', async () => {
    const port = await freePort();
    writeProject(project, {
      'toolboxes/http_probe.yaml': `${HEADER} toolbox
server_params:
  kind: streamable
  command: python3
  args: [${JSON.stringify(path.join(PYTHON_SERVERS, 'fake_mcp_http.py'))}, --port, "${port}"]
  url: http://127.0.0.1:${port}/mcp
  env:
    CODE_FROM_ENV: "{{ env('COMPAT_SET') }}"
    GONE: "{{ env('${UNSET}') }}"
  headers:
    Authorization: "Bearer {{ env('COMPAT_SET') }}"
  optional_headers:
    X-Set: "{{ env('COMPAT_SET') }}"
    X-Unset: "{{ env('${UNSET}') }}"
    X-Empty: "{{ env('EMPTY_VAR') }}"
`,
      'flow.yaml': flowWith('http_probe'),
    });
    callToolThenAnswer(server, 'http_probe__probe');
    const { result, warnings } = await runFlow(server, sandbox, project, 'flow.yaml', {
      COMPAT_SET: 'value-1',
      EMPTY_VAR: '',
    });
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.code).toBe(0);
    const seen = lastToolResult(server) as {
      env: Record<string, string>;
      headers: Record<string, string>;
    };
    expect(seen.env.CODE_FROM_ENV).toBe('value-1');
    expect(seen.env).not.toHaveProperty('GONE');
    expect(seen.headers).toMatchObject({ authorization: 'Bearer value-1', 'x-set': 'value-1' });
    expect(seen.headers).not.toHaveProperty('x-unset');
    // grammar.md: an optional header that renders empty is not sent (seclab sends it empty).
    expect(seen.headers).not.toHaveProperty('x-empty');
    expect(warnings).toEqual([
      `toolbox "toolboxes.http_probe" starts without server_params.env.GONE: environment variable "${UNSET}" is not set`,
      `toolbox "toolboxes.http_probe" starts without server_params.optional_headers.X-Unset: environment variable "${UNSET}" is not set`,
    ]);
  });
});

describe('fields that still fail', () => {
  it.each([
    {
      field: 'server_params.headers.Authorization',
      params: `kind: streamable
  url: http://127.0.0.1:9/mcp
  headers:
    Authorization: "Bearer {{ env('${UNSET}') }}"`,
    },
    {
      field: 'server_params.args[1]',
      params: `kind: stdio
  command: "{{ runner.node }}"
  args: [${JSON.stringify(PRINTS_ENV_SERVER)}, "--token={{ env('${UNSET}') }}"]`,
    },
  ])(
    'an unset variable in $field fails the task, naming the variable',
    async ({ field, params }) => {
      writeProject(project, {
        'toolboxes/strict.yaml': `${HEADER} toolbox\nserver_params:\n  ${params}\n`,
        'flow.yaml': flowWith('strict'),
      });
      const { result, events, warnings } = await runFlow(server, sandbox, project, 'flow.yaml');
      expect(result.stderr).not.toMatch(STACK_LINE);
      expect(result.code).toBe(1);
      expect(events.at(-1)).toMatchObject({
        type: 'taskflow-end',
        status: 'failed',
        error: `toolbox "toolboxes.strict" ${field}: environment variable "${UNSET}" is not set`,
      });
      expect(warnings).toEqual([]);
      expect(server.requests).toHaveLength(0);
    },
  );
});
