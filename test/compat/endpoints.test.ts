import fs from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  messagesOf,
  startFakeModelServer,
  type FakeModelServer,
  type RecordedRequest,
} from '../fakes/fake-model-server.js';
import { makeSandbox, runCli, type CliResult } from '../e2e/cli-harness.js';
import { runTaskflow } from '../e2e/run-kit.js';
import { HEADER, runFlow, writeProject } from './toolbox-compat-kit.js';

/**
 * Endpoints, tokens, request defaults and model listing as seclab-taskflow-agent has them
 * (capi.py, agent.py, runner.py; cases of tests/test_api_endpoint_config.py and
 * tests/test_capi_extended.py that are observable from outside), black box: the built CLI
 * against the fake model server, assertions on what the server received.
 */

let server: FakeModelServer;
let sandbox: string;
let project: string;

beforeEach(async () => {
  server = await startFakeModelServer();
  server.setHandler(() => ({ kind: 'message', text: 'ok' }));
  sandbox = makeSandbox();
  project = writeProject(path.join(sandbox, 'work'), {
    'personalities/talker.yaml': `${HEADER} personality\npersonality: You answer briefly.\ntask: Answer.\n`,
    'personalities/helper.yaml': `${HEADER} personality\npersonality: You help.\ntask: Help.\ntoolboxes:\n  - taskflow.toolboxes.echo\n`,
    'model_configs/models.yaml': `${HEADER} model_config\nmodels:\n  main: fake-model\n  warm: fake-model-warm\nmodel_settings:\n  warm:\n    temperature: 0.9\n    parallel_tool_calls: true\n`,
  });
});
afterEach(async () => {
  await server.close();
  fs.rmSync(sandbox, { recursive: true, force: true });
});

function writeFlow(name: string, body: string): string {
  writeProject(project, { [`${name}.yaml`]: `${HEADER} taskflow\n${body}` });
  return `${name}.yaml`;
}

/** The task's prompt: the first user message of the request. */
function promptOf(request: RecordedRequest): string {
  const first = messagesOf(request).find((message) => message.role === 'user');
  return typeof first?.content === 'string' ? first.content : '';
}

/** The model request whose prompt is `prompt`. */
function requestFor(prompt: string, from: FakeModelServer = server): RecordedRequest {
  const request = from.requests.find((candidate) => promptOf(candidate) === prompt);
  if (!request) throw new Error(`no request with the prompt ${prompt}`);
  return request;
}

/** The settings seclab's defaults touch, as sent (absent keys left out). */
function defaultsSent(request: RecordedRequest): Record<string, unknown> {
  const keys = ['temperature', 'tool_choice', 'parallel_tool_calls'];
  return Object.fromEntries(
    keys.filter((key) => key in request.body).map((key) => [key, request.body[key]]),
  );
}

const task = (prompt: string, fields: string) =>
  `  - task:\n      user_prompt: ${prompt}\n${fields
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => `      ${line}\n`)
    .join('')}`;

describe('request defaults (seclab runner.py deploy_task_agents)', () => {
  const flowBody =
    'model_config: model_configs.models\ntaskflow:\n' +
    task('chat-plain', 'agents: [personalities.talker]\nmodel: main') +
    task('chat-tools', 'agents: [personalities.helper]\nmodel: main') +
    task('chat-config', 'agents: [personalities.helper]\nmodel: warm') +
    task(
      'chat-unset',
      'agents: [personalities.talker]\nmodel: main\nmodel_settings: {temperature: null}',
    ) +
    task(
      'responses-plain',
      'agents: [personalities.talker]\nmodel: main\nmodel_settings: {api_type: responses}',
    ) +
    task(
      'responses-tools',
      'agents: [personalities.helper]\nmodel: main\nmodel_settings: {api_type: responses}',
    );

  it('temperature 0 on chat completions only; tool_choice auto and no parallel calls with tools; settings win', async () => {
    const { result } = await runFlow(server, sandbox, project, writeFlow('defaults', flowBody));
    expect(result.code, result.stderr).toBe(0);
    expect(defaultsSent(requestFor('chat-plain'))).toEqual({ temperature: 0 });
    expect(defaultsSent(requestFor('chat-tools'))).toEqual({
      temperature: 0,
      tool_choice: 'auto',
      parallel_tool_calls: false,
    });
    expect(defaultsSent(requestFor('chat-config'))).toEqual({
      temperature: 0.9,
      tool_choice: 'auto',
      parallel_tool_calls: true,
    });
    // A null setting unsets the default, as None does in seclab's ModelSettings.
    expect(defaultsSent(requestFor('chat-unset'))).toEqual({});
    expect(requestFor('responses-plain').api).toBe('responses');
    expect(defaultsSent(requestFor('responses-plain'))).toEqual({});
    expect(defaultsSent(requestFor('responses-tools'))).toEqual({
      tool_choice: 'auto',
      parallel_tool_calls: false,
    });
  });

  it('MODEL_TEMP (both apis) and MODEL_PARALLEL_TOOL_CALLS; the model config still wins', async () => {
    const { result } = await runFlow(server, sandbox, project, writeFlow('defaults', flowBody), {
      MODEL_TEMP: '0.4',
      MODEL_PARALLEL_TOOL_CALLS: '1',
    });
    expect(result.code, result.stderr).toBe(0);
    expect(defaultsSent(requestFor('chat-plain'))).toEqual({ temperature: 0.4 });
    expect(defaultsSent(requestFor('chat-tools'))).toEqual({
      temperature: 0.4,
      tool_choice: 'auto',
      parallel_tool_calls: true,
    });
    expect(defaultsSent(requestFor('chat-config'))).toMatchObject({ temperature: 0.9 });
    expect(defaultsSent(requestFor('responses-plain'))).toEqual({ temperature: 0.4 });
  });

  it('MODEL_TEMP that is not a number is a configuration error naming it, before any request', async () => {
    // Checked before the run starts (issue 11): no session, so no taskflow-start event.
    const result = await runTaskflow(
      server,
      sandbox,
      [writeFlow('defaults', flowBody), '--output', 'jsonl'],
      { cwd: project, env: { MODEL_TEMP: 'warm' } },
    );
    expect(result.code).toBe(78);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('MODEL_TEMP must be a number');
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(server.requests).toEqual([]);
  });

  it('`taskflow ask` (seclab -p) sends the same defaults', async () => {
    const result = await runCli(['ask', 'personalities.helper', 'ask-tools'], sandbox, {
      cwd: project,
      env: { AI_API_ENDPOINT: server.url, AI_API_TOKEN: 't', TASKFLOW_DEFAULT_MODEL: 'fake-model' },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(defaultsSent(requestFor('ask-tools'))).toEqual({
      temperature: 0,
      tool_choice: 'auto',
      parallel_tool_calls: false,
    });
  });
});

describe('Copilot-Integration-Id and AWF_COPILOT_PROXY (seclab capi.py providers)', () => {
  const oneTask = () =>
    writeFlow('one', `taskflow:\n${task('hello', 'agents: [personalities.talker]')}`);

  it('a proxy mirroring api.githubcopilot.com gets the header, default vscode-chat', async () => {
    const { result } = await runFlow(server, sandbox, project, oneTask(), {
      AWF_COPILOT_PROXY: 'api.githubcopilot.com',
    });
    expect(result.code, result.stderr).toBe(0);
    expect(requestFor('hello').headers['copilot-integration-id']).toBe('vscode-chat');
  });

  it('COPILOT_INTEGRATION_ID sets the value; the proxy may be named by URL', async () => {
    const { result } = await runFlow(server, sandbox, project, oneTask(), {
      AWF_COPILOT_PROXY: 'https://api.githubcopilot.com',
      COPILOT_INTEGRATION_ID: 'my-integration',
    });
    expect(result.code, result.stderr).toBe(0);
    expect(requestFor('hello').headers['copilot-integration-id']).toBe('my-integration');
  });

  it('other endpoints (and unknown AWF upstreams) get no such header', async () => {
    const { result } = await runFlow(server, sandbox, project, oneTask(), {
      AWF_COPILOT_PROXY: 'not-a-real-provider.com',
      COPILOT_INTEGRATION_ID: 'my-integration',
    });
    expect(result.code, result.stderr).toBe(0);
    expect(requestFor('hello').headers).not.toHaveProperty('copilot-integration-id');
  });

  it('the default model is the mirrored provider’s (GitHub Models: openai/gpt-4.1)', async () => {
    const { result } = await runFlow(server, sandbox, project, oneTask(), {
      TASKFLOW_DEFAULT_MODEL: undefined,
      AWF_COPILOT_PROXY: 'models.github.ai',
    });
    expect(result.code, result.stderr).toBe(0);
    expect(requestFor('hello').body.model).toBe('openai/gpt-4.1');
    expect(requestFor('hello').headers).not.toHaveProperty('copilot-integration-id');
  });

  it('COPILOT_DEFAULT_MODEL names the default model', async () => {
    const { result } = await runFlow(server, sandbox, project, oneTask(), {
      TASKFLOW_DEFAULT_MODEL: undefined,
      COPILOT_DEFAULT_MODEL: 'my-default',
    });
    expect(result.code, result.stderr).toBe(0);
    expect(requestFor('hello').body.model).toBe('my-default');
  });
});

describe('endpoints and tokens (seclab capi.py get_AI_endpoint/get_AI_token, agent.py)', () => {
  let second: FakeModelServer;
  beforeEach(async () => {
    second = await startFakeModelServer();
    second.setHandler(() => ({ kind: 'message', text: 'ok' }));
  });
  afterEach(async () => {
    await second.close();
  });

  it('a model’s endpoint and token (variable name) from the model config or the task', async () => {
    writeProject(project, {
      'model_configs/remote.yaml': `${HEADER} model_config\nmodels:\n  main: fake-model\n  remote: remote-model\nmodel_settings:\n  remote:\n    endpoint: ${second.url}\n    token: REMOTE_TOKEN\n`,
    });
    const flow = writeFlow(
      'remote',
      'model_config: model_configs.remote\ntaskflow:\n' +
        task('to-main', 'agents: [personalities.talker]\nmodel: main') +
        task('to-remote', 'agents: [personalities.talker]\nmodel: remote') +
        task(
          'task-endpoint',
          `agents: [personalities.talker]\nmodel: main\nmodel_settings: {endpoint: "${second.url}", token: OTHER_TOKEN}`,
        ),
    );
    const { result } = await runFlow(server, sandbox, project, flow, {
      AI_API_TOKEN: 'main-token',
      REMOTE_TOKEN: 'remote-token',
      OTHER_TOKEN: 'other-token',
    });
    expect(result.code, result.stderr).toBe(0);
    expect(requestFor('to-main').headers.authorization).toBe('Bearer main-token');
    expect(requestFor('to-remote', second)).toMatchObject({
      body: { model: 'remote-model' },
      headers: { authorization: 'Bearer remote-token' },
    });
    expect(requestFor('task-endpoint', second).headers.authorization).toBe('Bearer other-token');
    expect(server.requests.map(promptOf)).toEqual(['to-main']);
  });

  it('AI_API_TOKEN is preferred to COPILOT_TOKEN, which is the fallback', async () => {
    const flow = writeFlow('one', `taskflow:\n${task('hello', 'agents: [personalities.talker]')}`);
    await runFlow(server, sandbox, project, flow, { AI_API_TOKEN: 'ai', COPILOT_TOKEN: 'copilot' });
    await runFlow(server, sandbox, project, flow, {
      AI_API_TOKEN: undefined,
      COPILOT_TOKEN: 'copilot',
    });
    expect(server.requests.map((request) => request.headers.authorization)).toEqual([
      'Bearer ai',
      'Bearer copilot',
    ]);
  });

  it('without a token the default endpoint (models.github.ai) is refused, naming both variables', async () => {
    const result = await runCli(
      ['run', writeFlow('one', `taskflow:\n${task('hello', 'agents: [personalities.talker]')}`)],
      sandbox,
      { cwd: project },
    );
    expect(result.code).toBe(78);
    expect(result.stderr).toContain(
      'no API token for https://models.github.ai/inference: set AI_API_TOKEN or COPILOT_TOKEN',
    );
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it('a model’s named token variable that is unset is an error naming it', async () => {
    writeProject(project, {
      'model_configs/remote.yaml': `${HEADER} model_config\nmodels:\n  remote: remote-model\nmodel_settings:\n  remote:\n    endpoint: https://models.invalid/v1\n    token: REMOTE_TOKEN\n`,
    });
    const flow = writeFlow(
      'remote',
      `model_config: model_configs.remote\ntaskflow:\n${task('hello', 'agents: [personalities.talker]\nmodel: remote')}`,
    );
    const result = await runTaskflow(server, sandbox, [flow, '--output', 'jsonl'], {
      cwd: project,
      env: { AI_API_TOKEN: 'main' },
    });
    expect(result.code).toBe(78);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('set REMOTE_TOKEN');
    expect(server.requests).toEqual([]);
  });
});

describe('model listing (seclab -l: capi.py list_tool_call_models)', () => {
  let catalog: Server;
  let catalogUrl: string;
  const seen: { path: string; headers: IncomingHttpHeaders }[] = [];
  let modelsBody: unknown;

  beforeAll(async () => {
    catalog = createServer((request, response) => {
      seen.push({ path: request.url ?? '', headers: request.headers });
      const body =
        request.url === '/catalog/models'
          ? [
              { id: 'openai/gpt-4.1', capabilities: ['streaming', 'tool-calling'] },
              { id: 'cohere/embed', capabilities: ['embeddings'] },
              { id: 'meta/llama' },
            ]
          : request.url === '/models'
            ? modelsBody
            : undefined;
      response.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body ?? { error: { message: 'not found' } }));
    });
    await new Promise<void>((resolve) => catalog.listen(0, '127.0.0.1', resolve));
    const address = catalog.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    catalogUrl = `http://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => catalog.close(() => resolve()));
  });

  function listModels(extra: Record<string, string>, args = ['models']): Promise<CliResult> {
    return runCli(args, sandbox, {
      cwd: project,
      env: { AI_API_ENDPOINT: catalogUrl, AI_API_TOKEN: 'list-token', ...extra },
    });
  }

  it('Copilot (here through an AWF proxy): /models with its header, capabilities.supports.tool_calls', async () => {
    modelsBody = {
      data: [
        { id: 'gpt-4.1', capabilities: { supports: { tool_calls: true } } },
        { id: 'text-only', capabilities: { supports: {} } },
        { id: 'no-capabilities' },
      ],
    };
    const result = await listModels({ AWF_COPILOT_PROXY: 'api.githubcopilot.com' }, ['-l']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('gpt-4.1\n');
    expect(seen.at(-1)?.path).toBe('/models');
    expect(seen.at(-1)?.headers).toMatchObject({
      'copilot-integration-id': 'vscode-chat',
      authorization: 'Bearer list-token',
    });
  });

  it('GitHub Models: the catalog beside /inference, "tool-calling" models only', async () => {
    const result = await runCli(['models'], sandbox, {
      cwd: project,
      env: {
        AI_API_ENDPOINT: `${catalogUrl}/inference`,
        AI_API_TOKEN: 'list-token',
        AWF_COPILOT_PROXY: 'models.github.ai',
      },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('openai/gpt-4.1\n');
    expect(seen.at(-1)?.path).toBe('/catalog/models');
    expect(seen.at(-1)?.headers).not.toHaveProperty('copilot-integration-id');
  });

  it('OpenAI: chat model families (gpt-*, o1/o3/o4, chatgpt-) only', async () => {
    modelsBody = {
      data: ['gpt-4o', 'o3-mini', 'chatgpt-4o-latest', 'whisper-1', 'text-embedding-ada-002'].map(
        (id) => ({ id }),
      ),
    };
    const result = await listModels({ AWF_COPILOT_PROXY: 'api.openai.com' });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('gpt-4o\no3-mini\nchatgpt-4o-latest\n');
  });

  it('a custom endpoint: every listed model (seclab: present in the catalog = usable)', async () => {
    modelsBody = { data: [{ id: 'my-model' }, { id: 'other-model' }] };
    const result = await listModels({});
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.split('\n').filter((line) => line !== '')).toEqual([
      'my-model (tool support unknown)',
      'other-model (tool support unknown)',
    ]);
  });

  it('an endpoint without a model list is an error with a non-zero exit (seclab: an empty list)', async () => {
    const result = await listModels({ AI_API_ENDPOINT: `${catalogUrl}/unsupported` });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`cannot list models at ${catalogUrl}/unsupported/models`);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});
