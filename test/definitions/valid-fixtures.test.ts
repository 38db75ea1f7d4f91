import { describe, expect, it } from 'vitest';
import type { Definition } from '../../src/definitions/types.js';
import {
  bundled,
  fixture,
  loadFixture,
  sha256,
  summary,
  TASK_DEFAULTS as DEFAULTS,
} from './valid-fixture-kit.js';

describe('valid/seclab_documented.yaml (seclab-taskflow-agent documentation, unchanged)', () => {
  const { loaded, loader } = loadFixture('valid/seclab_documented.yaml');
  const documented = fixture('valid/seclab_documented.yaml');

  it('loads with one warning: the literal model id of the `uses` task', () => {
    expect(loader.issues.errors).toEqual([]);
    expect(loader.issues.warnings.map((issue) => [issue.kind, issue.fieldPath])).toEqual([
      ['unknown-model', 'taskflow[9].task.model'],
    ]);
  });

  it('normalises the taskflow header, globals and model config reference', () => {
    expect(loaded.taskflow).toMatchObject({
      kind: 'taskflow',
      ref: 'valid/seclab_documented.yaml',
      filePath: documented,
      shortName: 'seclab_documented',
      globals: { fruit: 'bananas', second_fruit: 'kiwis' },
      modelConfig: 'examples.model_configs.model_config',
    });
    expect(loaded.tasks).toHaveLength(12);
  });

  it('applies defaults and keeps model settings (task 1)', () => {
    expect(summary(loaded.tasks[0])).toEqual({
      ...DEFAULTS,
      index: 0,
      name: 'task-1',
      agents: ['seclab_taskflow_agent.personalities.assistant'],
      model: 'gpt_default',
      modelSettings: { temperature: 1, reasoning: { effort: 'high' } },
      userPrompt: 'This is a user prompt about {{ globals.fruit }}.\n',
    });
    expect(loaded.tasks[0]?.userPrompt?.position).toEqual({
      filePath: documented,
      line: 22,
      column: 9,
    });
    expect(loaded.tasks[0]?.userPrompt?.block).toBe(true);
    expect(loaded.tasks[0]?.position).toEqual({ filePath: documented, line: 14, column: 7 });
  });

  it('normalises `models` given as strings and as maps', () => {
    expect(summary(loaded.tasks[1])).toEqual({
      ...DEFAULTS,
      index: 1,
      name: 'task-2',
      agents: ['seclab_taskflow_agent.personalities.c_auditer'],
      models: [
        { model: 'gpt_default', modelSettings: {} },
        { model: 'gpt_responses', modelSettings: {} },
      ],
      userPrompt: 'Audit this function for memory safety issues.\n',
    });
    expect(summary(loaded.tasks[2])).toEqual({
      ...DEFAULTS,
      index: 2,
      name: 'task-3',
      agents: ['seclab_taskflow_agent.personalities.assistant'],
      models: [
        { model: 'gpt_default', modelSettings: { temperature: 0.2 } },
        { model: 'gpt_responses', modelSettings: { reasoning: { effort: 'high' } } },
      ],
      modelConcurrency: 2,
      completion: 'any',
      userPrompt: 'Compare.\n',
    });
  });

  it('keeps shell tasks, repeat/async and exclude_from_context tasks', () => {
    expect(summary(loaded.tasks[3])).toEqual({
      ...DEFAULTS,
      index: 3,
      name: 'task-4',
      mustComplete: true,
      run: `echo '["apple", "banana", "orange"]'\n`,
    });
    expect(summary(loaded.tasks[4])).toMatchObject({
      name: 'task-5',
      repeatPrompt: true,
      async: true,
      asyncLimit: 3,
      userPrompt: 'What kind of fruit is {{ result }}?\n',
    });
    expect(summary(loaded.tasks[5])).toMatchObject({
      excludeFromContext: true,
      toolboxes: ['seclab_taskflow_agent.toolboxes.echo'],
    });
  });

  it('converts the seclab outputs spec to JSON Schema', () => {
    const task = loaded.tasks[6];
    expect(task?.id).toBe('list_functions');
    expect(task?.outputs).toEqual({
      type: 'object',
      properties: {
        functions: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              body: { type: 'string' },
              note: { type: 'string' },
              tags: { type: 'array', items: { type: 'string' } },
            },
            required: ['name', 'body', 'tags'],
          },
        },
      },
      required: ['functions'],
    });
  });

  it('keeps `over`, `headless`, task env and blocked tools', () => {
    expect(summary(loaded.tasks[7])).toMatchObject({
      repeatPrompt: true,
      over: 'outputs.list_functions.functions',
    });
    expect(loaded.tasks[7]?.over?.position).toEqual({ filePath: documented, line: 79, column: 14 });
    expect(summary(loaded.tasks[8])).toMatchObject({
      headless: true,
      toolboxes: ['seclab_taskflow_agent.toolboxes.memcache'],
      env: { MEMCACHE_STATE_DIR: 'example_taskflow/', MEMCACHE_BACKEND: 'dictionary_file' },
    });
    expect(summary(loaded.tasks[11])).toMatchObject({
      agents: ['examples.personalities.fruit_expert', 'examples.personalities.echo'],
      blockedTools: ['nonexistent_tool_to_test_filtering'],
    });
  });

  it('merges `uses`: model and inputs from the using task, the rest from the base', () => {
    const base = fixture('examples/taskflows/single_step_taskflow.yaml');
    expect(summary(loaded.tasks[9])).toEqual({
      ...DEFAULTS,
      index: 9,
      name: 'task-10',
      model: 'gpt-4o',
      inputs: { fruit: 'apples' },
      agents: ['examples.personalities.fruit_expert'],
      mustComplete: true,
      toolboxes: ['examples.toolboxes.local_stdio'],
      userPrompt: 'Tell me more about {{ inputs.fruit }}.\n',
    });
    expect(loaded.tasks[9]?.userPrompt?.position.filePath).toBe(base);
    expect(loaded.tasks[9]?.position).toEqual({ filePath: documented, line: 96, column: 7 });
    // the written task keeps its `uses`; the effective one is merged
    expect(loaded.taskflow.tasks[9]?.uses).toBe('examples.taskflows.single_step_taskflow');
  });

  it('registers the whole prompt include chain in `prompts`', () => {
    expect([...loaded.prompts.keys()]).toEqual([
      'examples.prompts.outer_prompt',
      'examples.prompts.example_prompt',
    ]);
    expect(loaded.prompts.get('examples.prompts.example_prompt')).toMatchObject({
      kind: 'prompt',
      shortName: 'example_prompt',
      prompt: 'Also tell me about {{ globals.second_fruit }}.\n',
    });
  });

  it('keys personalities and toolboxes by the references as written', () => {
    expect([...loaded.personalities.keys()].sort()).toEqual([
      'examples.personalities.echo',
      'examples.personalities.fruit_expert',
      'seclab_taskflow_agent.personalities.assistant',
      'seclab_taskflow_agent.personalities.c_auditer',
    ]);
    expect([...loaded.toolboxes.keys()].sort()).toEqual([
      'examples.toolboxes.local_stdio',
      'seclab_taskflow_agent.toolboxes.codeql',
      'seclab_taskflow_agent.toolboxes.echo',
      'seclab_taskflow_agent.toolboxes.memcache',
    ]);
    expect(loaded.personalities.get('seclab_taskflow_agent.personalities.c_auditer')).toMatchObject(
      {
        filePath: bundled('personalities/c_auditer.yaml'),
        toolboxes: [
          'seclab_taskflow_agent.toolboxes.memcache',
          'seclab_taskflow_agent.toolboxes.codeql',
        ],
      },
    );
  });

  it('normalises the model config, engine keys included', () => {
    expect(loaded.modelConfig).toEqual({
      kind: 'model_config',
      ref: 'examples.model_configs.model_config',
      filePath: fixture('examples/model_configs/model_config.yaml'),
      shortName: 'model_config',
      apiType: 'chat_completions',
      models: { gpt_default: 'gpt-4.1', gpt_responses: 'gpt-5.1', fast: 'openai/gpt-4.1-mini' },
      modelSettings: {
        gpt_default: { temperature: 0.7 },
        gpt_responses: {
          api_type: 'responses',
          endpoint: 'https://api.example.com/v1',
          token: 'CAPI_TOKEN',
          temperature: 0.5,
        },
        fast: { temperature: 0.2, resilience: { max_attempts: 4 } },
      },
    });
  });

  it('records a SHA-256 for every file read', () => {
    const expected = [
      documented,
      fixture('examples/model_configs/model_config.yaml'),
      fixture('examples/taskflows/single_step_taskflow.yaml'),
      fixture('examples/personalities/fruit_expert.yaml'),
      fixture('examples/personalities/echo.yaml'),
      fixture('examples/toolboxes/local_stdio.yaml'),
      fixture('examples/prompts/outer_prompt.yaml'),
      fixture('examples/prompts/example_prompt.yaml'),
      bundled('personalities/assistant.yaml'),
      bundled('personalities/c_auditer.yaml'),
      bundled('toolboxes/codeql.yaml'),
      bundled('toolboxes/echo.yaml'),
      bundled('toolboxes/memcache.yaml'),
    ];
    expect([...loaded.files.keys()].sort()).toEqual([...expected].sort());
    for (const file of expected) expect(loaded.files.get(file)).toBe(sha256(file));
  });

  it('returns frozen definitions', () => {
    const definitions: Definition[] = [
      loaded.taskflow,
      ...loaded.personalities.values(),
      ...loaded.toolboxes.values(),
      ...loaded.prompts.values(),
      ...(loaded.modelConfig ? [loaded.modelConfig] : []),
    ];
    for (const definition of definitions) expect(Object.isFrozen(definition)).toBe(true);
    for (const task of loaded.tasks) {
      expect(Object.isFrozen(task)).toBe(true);
      expect(Object.isFrozen(task.inputs)).toBe(true);
    }
    expect(Object.isFrozen(loaded.tasks[0]?.modelSettings)).toBe(true);
    expect(Object.isFrozen(loaded.tasks[6]?.outputs)).toBe(true);
    expect(() => {
      (loaded.taskflow.globals as Record<string, unknown>).fruit = 'cherries';
    }).toThrow(TypeError);
  });
});
