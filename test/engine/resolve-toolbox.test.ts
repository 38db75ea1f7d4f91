import { describe, expect, it } from 'vitest';
import type { ServerParams, ToolboxDefinition } from '../../src/definitions/types.js';
import { resolveToolbox, uniqueToolboxNames } from '../../src/engine/resolve-toolbox.js';
import { createTemplateRenderer } from '../../src/templates/template-renderer.js';

function toolbox(shortName: string, params: Partial<ServerParams> = {}): ToolboxDefinition {
  return {
    kind: 'toolbox',
    ref: `toolboxes.${shortName}`,
    filePath: `/defs/toolboxes/${shortName}.yaml`,
    shortName,
    serverParams: {
      kind: 'stdio',
      command: 'node',
      args: [],
      env: {},
      headers: {},
      optionalHeaders: {},
      timeoutMs: 60_000,
      connectTimeoutMs: 30_000,
      reconnecting: false,
      ...params,
    },
    confirm: [],
  };
}

describe('uniqueToolboxNames', () => {
  it('suffixes repeated short names without taking another toolbox name', () => {
    const names = uniqueToolboxNames(
      ['echo', 'echo', 'echo_2', 'memcache', 'echo'].map((name) => toolbox(name)),
    );
    expect(names).toEqual(['echo', 'echo_3', 'echo_2', 'memcache', 'echo_4']);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('resolveToolbox', () => {
  it('renders templates; the server environment is the safe set plus the toolbox env', () => {
    const taskEnvironment = {
      PATH: '/usr/bin',
      SECRET_TOKEN: 'do-not-pass',
      SOURCE: 'from-task',
      FLAGS: '',
    };
    const renderer = createTemplateRenderer({
      environment: taskEnvironment,
      resolvePrompt: () => {
        throw new Error('no prompts here');
      },
    });
    const resolved = resolveToolbox(
      toolbox('probe', {
        kind: 'streamable',
        args: ['{{ runner.root }}/server.js', '--mode={{ mode }}'],
        env: { VISIBLE: "{{ env('SOURCE') }}", HIDDEN: 'x' },
        cwd: 'work',
        url: 'http://127.0.0.1:9/mcp',
        headers: { Authorization: "Bearer {{ env('SOURCE') }}" },
        optionalHeaders: { 'X-Flags': "{{ env('FLAGS', '') }}", 'X-Mode': '{{ mode }}' },
      }),
      {
        renderer,
        taskEnvironment,
        denylist: ['HIDDEN'],
        runner: { node: '/bin/node', root: '/pkg' },
        workingDirectory: '/work/dir',
        name: 'probe_2',
        context: { mode: 'fast' },
      },
    );
    expect(resolved).toMatchObject({
      name: 'probe_2',
      kind: 'streamable',
      command: 'node',
      args: ['/pkg/server.js', '--mode=fast'],
      cwd: '/work/dir/work',
      env: { PATH: '/usr/bin', VISIBLE: 'from-task' },
      headers: { Authorization: 'Bearer from-task', 'X-Mode': 'fast' },
    });
    expect(Object.keys(resolved.env).sort()).toEqual(['PATH', 'VISIBLE']);
    expect(Object.keys(resolved.headers).sort()).toEqual(['Authorization', 'X-Mode']);
  });
});

describe('resolveToolbox with unset variables (UNRENDERED_VALUE_POLICY)', () => {
  const renderer = createTemplateRenderer({
    environment: { SET: 'yes' },
    resolvePrompt: () => {
      throw new Error('no prompts here');
    },
  });
  const options = {
    renderer,
    taskEnvironment: {},
    denylist: [],
    runner: { node: '/bin/node', root: '/pkg' },
    workingDirectory: '/work',
    name: 'probe',
  };

  it('leaves out env keys and optional headers, telling onWarning which and why', () => {
    const warnings: string[] = [];
    const resolved = resolveToolbox(
      toolbox('probe', {
        kind: 'streamable',
        url: 'http://127.0.0.1:9/mcp',
        env: { KEPT: "{{ env('SET') }}", DROPPED: "{{ env('UNSET') }}" },
        optionalHeaders: { 'X-Kept': "{{ env('SET') }}", 'X-Dropped': "{{ env('UNSET') }}" },
      }),
      { ...options, onWarning: (message) => warnings.push(message) },
    );
    expect(resolved.env).toEqual({ KEPT: 'yes' });
    expect(resolved.headers).toEqual({ 'X-Kept': 'yes' });
    expect(warnings).toEqual([
      'toolbox "toolboxes.probe" starts without server_params.env.DROPPED: environment variable "UNSET" is not set',
      'toolbox "toolboxes.probe" starts without server_params.optional_headers.X-Dropped: environment variable "UNSET" is not set',
    ]);
  });

  it.each([
    ['command', { command: "{{ env('UNSET') }}" }],
    ['cwd', { cwd: "{{ env('UNSET') }}" }],
    ['url', { kind: 'sse' as const, url: "http://{{ env('UNSET') }}/sse" }],
  ])('fails for %s, naming the field and the variable', (field, params) => {
    expect(() => resolveToolbox(toolbox('probe', params), options)).toThrow(
      `toolbox "toolboxes.probe" server_params.${field}: environment variable "UNSET" is not set`,
    );
  });
});
