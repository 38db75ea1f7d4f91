import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatIssue } from '../../src/definitions/issues.js';
import { validateReferences } from '../../src/definitions/validate-references.js';
import {
  bundled,
  createLoader,
  fixture,
  FIXTURES,
  loadFixture,
  summary,
  TASK_DEFAULTS,
} from './valid-fixture-kit.js';

describe('every valid fixture', () => {
  const files = fs.readdirSync(fixture('valid')).filter((name) => /\.ya?ml$/.test(name));

  it('finds the fixtures', () => {
    expect(files).toEqual(
      expect.arrayContaining(['seclab_documented.yaml', 'all_task_fields.yaml']),
    );
  });

  it.each(files)('valid/%s validates with no errors', (name) => {
    const loader = createLoader();
    validateReferences(loader, [`valid/${name}`]);
    expect(loader.issues.errors.map((issue) => formatIssue(issue, FIXTURES))).toEqual([]);
    expect(loader.files.has(fixture(`valid/${name}`))).toBe(true);
  });
});

describe('valid/all_task_fields.yaml', () => {
  const { loaded, loader } = loadFixture('valid/all_task_fields.yaml');

  it('loads without issues; version 1 (a number) is accepted', () => {
    expect(loader.issues.issues).toEqual([]);
    expect(loaded.taskflow.globals).toEqual({ enabled: true, limit: 3 });
    expect(loaded.taskflow.modelConfig).toBeUndefined();
    expect(loaded.modelConfig).toBeUndefined();
  });

  it('coerces env numbers to strings and parses `90s`', () => {
    expect(summary(loaded.tasks[0])).toEqual({
      ...TASK_DEFAULTS,
      index: 0,
      name: 'produce',
      description: 'makes a list',
      id: 'produced',
      run: "echo '[1, 2, 3]'\n",
      env: { COUNT: '3', LABEL: '{{ globals.limit }}' },
      timeoutMs: 90_000,
      mustComplete: true,
    });
    const env = loaded.tasks[0]?.env;
    expect(env?.LABEL?.position).toEqual({
      filePath: fixture('valid/all_task_fields.yaml'),
      line: 18,
      column: 17,
    });
  });

  it('keeps if/over/repeat/async/capture/max_steps, parses `1m30s` and keeps JSON Schema outputs', () => {
    expect(summary(loaded.tasks[1])).toEqual({
      ...TASK_DEFAULTS,
      index: 1,
      name: 'consume',
      if: 'globals.enabled and outputs.produced',
      repeatPrompt: true,
      over: 'outputs.produced',
      async: true,
      asyncLimit: 2,
      agents: ['examples.personalities.auditor'],
      userPrompt: 'Item {{ result }}',
      capture: 'response',
      maxSteps: 7,
      timeoutMs: 90_000,
      outputs: {
        type: 'object',
        properties: { verdict: { type: 'string' } },
        required: ['verdict'],
      },
    });
    expect(loaded.tasks[1]?.explicit.has('headless')).toBe(true);
  });

  it('turns `if: false` into the template text "false"', () => {
    expect(summary(loaded.tasks[2])).toMatchObject({ name: 'task-3', if: 'false' });
  });

  it('loads the toolboxes of the personalities it uses', () => {
    expect([...loaded.toolboxes.keys()]).toEqual([
      'examples.toolboxes.local_stdio',
      'examples.toolboxes.remote_streamable',
    ]);
  });
});

describe('valid/more_task_fields.yaml', () => {
  const { loaded, loader } = loadFixture('valid/more_task_fields.yaml');

  it('loads without issues; version "1" and a .yml model config are accepted', () => {
    expect(loader.issues.issues).toEqual([]);
    expect(loaded.modelConfig?.filePath).toBe(fixture('examples/model_configs/minimal_config.yml'));
    expect(loaded.taskflow.globals).toEqual({ target: './src', depth: 2, options: { deep: true } });
  });

  it('keeps description, env templates, blocked tools, headless, exclude_from_context; 10m', () => {
    expect(summary(loaded.tasks[0])).toEqual({
      ...TASK_DEFAULTS,
      index: 0,
      name: 'scan',
      description: 'Scan the target with the stdio toolbox.',
      agents: ['./examples/personalities/fruit_expert.yaml'],
      toolboxes: ['examples.toolboxes.stdio_with_cwd', 'taskflow.toolboxes.github_official'],
      model: 'fast',
      userPrompt: 'Scan {{ globals.target }} to depth {{ globals.depth }}.',
      env: {
        TARGET: '{{ globals.target }}',
        HOME_DIR: "{{ env('HOME', '/root') }}",
        DEPTH: '2',
        VERBOSE: 'false',
      },
      blockedTools: ['delete_file', 'push_files'],
      headless: true,
      excludeFromContext: true,
      timeoutMs: 600_000,
    });
  });

  it('keeps models, model_concurrency, completion any, capture response, inputs, `if: true`; 45 s', () => {
    expect(summary(loaded.tasks[1])).toEqual({
      ...TASK_DEFAULTS,
      index: 1,
      name: 'task-2',
      models: [
        { model: 'fast', modelSettings: {} },
        { model: 'deep', modelSettings: { temperature: 0 } },
      ],
      modelConcurrency: 1,
      completion: 'any',
      capture: 'response',
      if: 'true',
      agents: ['taskflow.personalities.assistant'],
      inputs: { topic: 'pears' },
      userPrompt: 'Tell me about {{ inputs.topic }}.\n',
      timeoutMs: 45_000,
    });
  });

  it('resolves file-path and `taskflow.` references, keyed as written', () => {
    expect(loaded.personalities.get('./examples/personalities/fruit_expert.yaml')?.filePath).toBe(
      fixture('examples/personalities/fruit_expert.yaml'),
    );
    expect(loaded.personalities.get('taskflow.personalities.assistant')?.filePath).toBe(
      bundled('personalities/assistant.yaml'),
    );
    expect(loaded.toolboxes.get('taskflow.toolboxes.github_official')?.filePath).toBe(
      bundled('toolboxes/github_official.yaml'),
    );
  });
});

describe('valid/uses_override_false.yaml', () => {
  const { loaded, loader } = loadFixture('valid/uses_override_false.yaml');
  const base = {
    ...TASK_DEFAULTS,
    name: 'strict base',
    agents: ['examples.personalities.fruit_expert'],
    model: 'fast',
    mustComplete: true,
    headless: true,
    excludeFromContext: true,
    maxSteps: 3,
    blockedTools: ['drop_table'],
    inputs: { fruit: 'pear', size: 'small' },
    toolboxes: ['examples.toolboxes.sse_server'],
    userPrompt: 'Describe a {{ inputs.size }} {{ inputs.fruit }}.\n',
  };

  it('loads without issues', () => {
    expect(loader.issues.issues).toEqual([]);
  });

  it('lets an explicit `false` override the base `true`; inputs merge, the using task wins', () => {
    expect(summary(loaded.tasks[0])).toEqual({
      ...base,
      index: 0,
      mustComplete: false,
      headless: false,
      model: 'gpt_default',
      inputs: { fruit: 'plum', size: 'small' },
    });
  });

  it('takes the name from the using task when given, else from the base', () => {
    expect(summary(loaded.tasks[1])).toEqual({
      ...base,
      index: 1,
      name: 'relaxed',
      excludeFromContext: false,
    });
  });

  it('keeps the written tasks unmerged', () => {
    expect(loaded.taskflow.tasks[0]).toMatchObject({
      uses: 'examples.taskflows.strict_base',
      mustComplete: false,
      headless: false,
      excludeFromContext: false,
      agents: [],
    });
    expect(loaded.toolboxes.has('examples.toolboxes.sse_server')).toBe(true);
  });
});
