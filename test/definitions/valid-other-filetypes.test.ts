import { describe, expect, it } from 'vitest';
import type { ToolboxDefinition } from '../../src/definitions/types.js';
import { createLoader, fixture } from './valid-fixture-kit.js';

function loadToolbox(name: string): ToolboxDefinition {
  const loader = createLoader();
  const toolbox = loader.load(`examples.toolboxes.${name}`, 'toolbox');
  expect(loader.issues.issues).toEqual([]);
  if (!toolbox) throw new Error(`toolbox ${name} did not load`);
  expect(Object.isFrozen(toolbox.serverParams)).toBe(true);
  return toolbox;
}

describe('toolbox fixtures', () => {
  it('stdio: env coerced to strings, timeout 120 s, default connect timeout', () => {
    expect(loadToolbox('local_stdio')).toEqual({
      kind: 'toolbox',
      ref: 'examples.toolboxes.local_stdio',
      filePath: fixture('examples/toolboxes/local_stdio.yaml'),
      shortName: 'local_stdio',
      serverParams: {
        kind: 'stdio',
        command: 'python',
        args: ['-m', 'my_servers.memcache'],
        env: { STATE_DIR: "{{ env('STATE_DIR', '/tmp/state') }}", VERBOSE: '1', ENABLED: 'true' },
        headers: {},
        optionalHeaders: {},
        timeoutMs: 120_000,
        connectTimeoutMs: 30_000,
        reconnecting: false,
      },
      serverPrompt: 'Use the cache for notes.\n',
      confirm: ['memcache_clear_cache'],
    });
  });

  it('stdio: args coerced to strings, cwd kept, fractional seconds', () => {
    expect(loadToolbox('stdio_with_cwd').serverParams).toEqual({
      kind: 'stdio',
      command: 'node',
      args: ['server.js', '--port', '8080', '--verbose', 'true'],
      env: { RATIO: '0.5' },
      cwd: './servers',
      headers: {},
      optionalHeaders: {},
      timeoutMs: 2500,
      connectTimeoutMs: 10_000,
      reconnecting: false,
    });
  });

  it('streamable: headers and optional headers; client_session_timeout 300 -> timeoutMs', () => {
    const toolbox = loadToolbox('remote_streamable');
    expect(toolbox.serverParams).toEqual({
      kind: 'streamable',
      args: [],
      env: {},
      url: 'https://mcp.example.com/mcp/',
      headers: { Authorization: "{{ env('REMOTE_AUTH_HEADER') }}" },
      optionalHeaders: { 'X-MCP-Toolsets': "{{ env('REMOTE_TOOLSETS') }}" },
      timeoutMs: 300_000,
      connectTimeoutMs: 30_000,
      reconnecting: false,
    });
    expect(toolbox.confirm).toEqual([]);
    expect(toolbox.serverPrompt).toBeUndefined();
  });

  it('streamable with a local server to launch first', () => {
    expect(loadToolbox('launched_streamable').serverParams).toMatchObject({
      kind: 'streamable',
      command: 'python',
      args: ['-m', 'my_servers.codeql'],
      env: { DB_PATH: "{{ env('DB_PATH', '') }}" },
      url: 'http://localhost:9999/mcp',
      timeoutMs: 60_000,
    });
  });

  it('sse: reconnecting kept, connect_timeout 5 -> 5000 ms, default request timeout', () => {
    expect(loadToolbox('sse_server').serverParams).toEqual({
      kind: 'sse',
      args: [],
      env: {},
      url: 'http://127.0.0.1:9000/sse',
      headers: {},
      optionalHeaders: {},
      timeoutMs: 60_000,
      connectTimeoutMs: 5000,
      reconnecting: true,
    });
  });
});

describe('model config fixtures', () => {
  it('api_type defaults to chat_completions; per-model engine keys are kept as written', () => {
    const loader = createLoader();
    const config = loader.load('examples.model_configs.minimal_config', 'model_config');
    expect(loader.issues.issues).toEqual([]);
    expect(config).toEqual({
      kind: 'model_config',
      ref: 'examples.model_configs.minimal_config',
      filePath: fixture('examples/model_configs/minimal_config.yml'),
      shortName: 'minimal_config',
      apiType: 'chat_completions',
      models: { fast: 'openai/gpt-4.1-mini', deep: 'openai/o3' },
      modelSettings: { deep: { api_type: 'responses', reasoning: { effort: 'high' } } },
    });
    expect(Object.isFrozen(config?.modelSettings.deep)).toBe(true);
  });
});

describe('personality and prompt fixtures', () => {
  it('accepts version 1.0 written as a YAML number', () => {
    const loader = createLoader();
    const auditor = loader.load('examples.personalities.auditor', 'personality');
    expect(loader.issues.issues).toEqual([]);
    expect(auditor).toEqual({
      kind: 'personality',
      ref: 'examples.personalities.auditor',
      filePath: fixture('examples/personalities/auditor.yaml'),
      shortName: 'auditor',
      personality: 'You audit code.',
      task: 'Report bugs.',
      toolboxes: ['examples.toolboxes.local_stdio', 'examples.toolboxes.remote_streamable'],
    });
  });

  it('defaults a personality without toolboxes to none and keeps a prompt text', () => {
    const loader = createLoader();
    expect(loader.load('examples.personalities.fruit_expert', 'personality')?.toolboxes).toEqual(
      [],
    );
    expect(loader.load('examples.prompts.outer_prompt', 'prompt')).toEqual({
      kind: 'prompt',
      ref: 'examples.prompts.outer_prompt',
      filePath: fixture('examples/prompts/outer_prompt.yaml'),
      shortName: 'outer_prompt',
      prompt: "Outer part.\n{% include 'examples.prompts.example_prompt' %}\n",
    });
    expect(loader.issues.issues).toEqual([]);
  });
});
