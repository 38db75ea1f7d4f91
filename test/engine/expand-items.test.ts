import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskDefinition } from '../../src/definitions/types.js';
import { TaskflowError } from '../../src/errors.js';
import {
  decodeResult,
  itemsFromResult,
  itemsFromValue,
  parseJsonText,
} from '../../src/engine/expand-items.js';
import { expandItems, planBranches } from '../../src/engine/run-prompt-task.js';
import type { RunState } from '../../src/engine/run-types.js';
import { ZERO_USAGE } from '../../src/model/types.js';
import { createTemplateRenderer } from '../../src/templates/template-renderer.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/fake-model-server.js';
import {
  eventsOf,
  header,
  load,
  runLoaded,
  removeScratchFolders,
  scratchFolder,
  taskStatuses,
} from './engine-kit.js';

afterAll(removeScratchFolders);

const where = { taskName: 'scan', source: 'the previous result' };

function thrown(action: () => unknown): TaskflowError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(TaskflowError);
    return error as TaskflowError;
  }
  throw new Error('expected an error');
}

describe('itemsFromValue', () => {
  it('gives the elements of an array, in order, whatever their type', () => {
    expect(itemsFromValue(['a', { b: 1 }, null, 3], where)).toEqual(['a', { b: 1 }, null, 3]);
  });

  it('gives the keys of an object (seclab compatibility)', () => {
    expect(itemsFromValue({ first: 1, second: [2] }, where)).toEqual(['first', 'second']);
  });

  it('gives zero items for an empty array', () => {
    expect(itemsFromValue([], where)).toEqual([]);
  });

  it.each([
    ['a string', 'just text', '"just text"'],
    ['a number', 42, '42'],
    ['null', null, 'null'],
    ['a boolean', true, 'true'],
  ])('rejects %s, naming the task and showing the value', (_label, value, shown) => {
    const error = thrown(() => itemsFromValue(value, where));
    expect(error.code).toBe('iterable-invalid');
    expect(error.message).toContain('task "scan"');
    expect(error.message).toContain(shown);
  });

  it('shows only the first 200 characters of a long value', () => {
    const text = `${'x'.repeat(200)}TAIL`;
    const error = thrown(() => itemsFromValue(text, where, text));
    expect(error.message).toContain(`${'x'.repeat(200)}…`);
    expect(error.message).not.toContain('TAIL');
  });
});

describe('itemsFromResult (the previous result)', () => {
  it('parses JSON text: an array gives its elements, an object its keys', () => {
    expect(itemsFromResult({ text: '["a", "b"]\n' }, 'scan')).toEqual(['a', 'b']);
    expect(itemsFromResult({ text: '{"x": 1, "y": 2}' }, 'scan')).toEqual(['x', 'y']);
  });

  it('unwraps the FastMCP {"result": [...]} structured content', () => {
    const source = { text: 'ignored', structuredContent: { result: ['f', 'g'] } };
    expect(itemsFromResult(source, 'scan')).toEqual(['f', 'g']);
  });

  it('does not unwrap an object that has more than the result key', () => {
    const source = { text: '', structuredContent: { result: ['f'], count: 1 } };
    expect(itemsFromResult(source, 'scan')).toEqual(['result', 'count']);
  });

  it('prefers structured content over the text', () => {
    expect(itemsFromResult({ text: '["from text"]', structuredContent: ['s'] }, 'scan')).toEqual([
      's',
    ]);
  });

  it('accepts JSON in a Markdown code fence, as models write it', () => {
    expect(itemsFromResult({ text: '```json\n["a", "b"]\n```' }, 'scan')).toEqual(['a', 'b']);
  });

  it('rejects invalid JSON, naming the task and showing the first 200 characters', () => {
    const text = `not json ${'y'.repeat(300)}`;
    const error = thrown(() => itemsFromResult({ text }, 'scan'));
    expect(error.code).toBe('iterable-invalid');
    expect(error.message).toContain('task "scan"');
    expect(error.message).toContain(`${text.slice(0, 200)}…`);
    expect(error.message).not.toContain(text.slice(0, 201));
  });

  it('rejects a JSON string and a number, showing the text', () => {
    expect(thrown(() => itemsFromResult({ text: '"a string"' }, 'scan')).message).toContain(
      '"a string"',
    );
    expect(thrown(() => itemsFromResult({ text: '12' }, 'scan')).message).toMatch(/number: 12$/);
  });

  it('rejects a structured {"result": "text"} (a wrapped string is not a list)', () => {
    const source = { text: 'plain', structuredContent: { result: 'plain' } };
    expect(thrown(() => itemsFromResult(source, 'scan')).code).toBe('iterable-invalid');
  });

  it('explains when no tool result or shell output is left to iterate', () => {
    expect(thrown(() => itemsFromResult(undefined, 'scan')).message).toMatch(
      /task "scan": .*no tool result or shell task output earlier in the run/,
    );
  });
});

describe('decodeResult / parseJsonText', () => {
  it('falls back to the text when structured content is null', () => {
    expect(decodeResult({ text: '[1]', structuredContent: null })).toEqual({
      ok: true,
      value: [1],
    });
  });

  it('reports text that is not JSON', () => {
    expect(parseJsonText('hello')).toEqual({ ok: false });
    expect(parseJsonText('```\n{"a": 1}\n```')).toEqual({ ok: true, value: { a: 1 } });
  });
});

/** The tasks of a small taskflow written to a scratch folder. */
function tasksOf(body: string): readonly TaskDefinition[] {
  const folder = scratchFolder({ 'flow.yaml': `${header('taskflow')}${body}` });
  return load(folder, 'flow.yaml').tasks;
}

const renderer = createTemplateRenderer({
  environment: {},
  resolvePrompt: (name) => {
    throw new Error(`unexpected include ${name}`);
  },
});

function state(extra: Partial<RunState> = {}): RunState {
  return {
    globals: {},
    outputs: {},
    toolResultStack: [],
    pythonModuleChecks: new Map(),
    usage: ZERO_USAGE,
    ...extra,
  };
}

describe('expandItems', () => {
  const [plain, fromPrevious, fromOver] = tasksOf(`
taskflow:
  - task:
      agents: [taskflow.personalities.assistant]
      user_prompt: once
  - task:
      agents: [taskflow.personalities.assistant]
      repeat_prompt: true
      user_prompt: "{{ result }}"
  - task:
      name: iterate-over
      agents: [taskflow.personalities.assistant]
      repeat_prompt: true
      over: outputs.scan.functions
      user_prompt: "{{ result }}"
`) as [TaskDefinition, TaskDefinition, TaskDefinition];

  it('gives one item-less branch without repeat_prompt', () => {
    expect(expandItems(plain, state(), renderer)).toEqual({ items: [undefined], repeat: false });
  });

  it('iterates the most recent tool result (the top of the result stack) without over', () => {
    const withResult = state({ toolResultStack: [{ text: '["older"]' }, { text: '["p", "q"]' }] });
    expect(expandItems(fromPrevious, withResult, renderer)).toEqual({
      items: ['p', 'q'],
      repeat: true,
    });
  });

  it('iterates the `over` expression, ignoring the previous result', () => {
    const withOutputs = state({
      outputs: { scan: { functions: [{ name: 'f' }, { name: 'g' }] } },
      toolResultStack: [{ text: '["ignored"]' }],
    });
    expect(expandItems(fromOver, withOutputs, renderer).items).toEqual([
      { name: 'f' },
      { name: 'g' },
    ]);
  });

  it('names the task and the expression when `over` is undefined', () => {
    const error = thrown(() => expandItems(fromOver, state(), renderer));
    expect(error.message).toBe('task "iterate-over": over "outputs.scan.functions" is undefined');
  });

  it('rejects an `over` value that is a string', () => {
    const withText = state({ outputs: { scan: { functions: 'f, g' } } });
    const error = thrown(() => expandItems(fromOver, withText, renderer));
    expect(error.message).toContain('task "iterate-over"');
    expect(error.message).toContain('"f, g"');
  });
});

describe('planBranches', () => {
  const [multi, single] = tasksOf(`
taskflow:
  - task:
      agents: [taskflow.personalities.assistant]
      repeat_prompt: true
      models:
        - model-a
        - model: model-b
          model_settings: { temperature: 0.5 }
      user_prompt: "{{ result }}"
  - task:
      agents: [taskflow.personalities.assistant]
      model: chosen
      user_prompt: once
`) as [TaskDefinition, TaskDefinition];

  it('crosses items with models, item-major, numbering branches in that order', () => {
    const branches = planBranches(multi, ['x', 'y'], true, 'default-model');
    expect(
      branches.map((branch) => [branch.index, branch.itemIndex, branch.item, branch.modelName]),
    ).toEqual([
      [0, 0, 'x', 'model-a'],
      [1, 0, 'x', 'model-b'],
      [2, 1, 'y', 'model-a'],
      [3, 1, 'y', 'model-b'],
    ]);
    expect(branches[1]?.modelSettings).toEqual({ temperature: 0.5 });
    expect(branches.every((branch) => branch.hasItem)).toBe(true);
  });

  it('gives one branch per model without repeat_prompt, and none for zero items', () => {
    expect(
      planBranches(multi, [undefined], false, 'd').map((b) => [b.modelName, b.hasItem]),
    ).toEqual([
      ['model-a', false],
      ['model-b', false],
    ]);
    expect(planBranches(multi, [], true, 'd')).toEqual([]);
  });

  it('uses the task model, else the default model', () => {
    expect(planBranches(single, [undefined], false, 'default-model')[0]?.modelName).toBe('chosen');
    expect(planBranches(plainTask(), [undefined], false, 'default-model')[0]?.modelName).toBe(
      'default-model',
    );
  });
});

function plainTask(): TaskDefinition {
  return tasksOf(`
taskflow:
  - task:
      agents: [taskflow.personalities.assistant]
      user_prompt: once
`)[0] as TaskDefinition;
}

describe('repeat_prompt through the engine', () => {
  let server: FakeModelServer;
  beforeAll(async () => {
    server = await startFakeModelServer();
  });
  afterAll(async () => {
    await server.close();
  });

  const flow = (list: string) =>
    `${header('taskflow')}
taskflow:
  - task:
      name: produce
      run: |
        printf '%s' '${list}'
  - task:
      name: each
      repeat_prompt: true
      agents: [taskflow.personalities.assistant]
      user_prompt: "{{ result }}"
  - task:
      name: after
      run: echo after
`;

  it('an empty list gives zero items, a succeeded task and a notice, without a model call', async () => {
    const folder = scratchFolder({ 'flow.yaml': flow('[]') });
    const before = server.requests.length;
    const { result, events } = await runLoaded(load(folder, 'flow.yaml'), folder, {
      endpoint: server.url,
    });
    expect(result.end.status).toBe('succeeded');
    expect(taskStatuses(events)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(eventsOf(events, 'task-start')[1]?.itemCount).toBe(0);
    const warnings = eventsOf(events, 'warning');
    expect(warnings).toEqual([
      expect.objectContaining({
        taskIndex: 1,
        message: expect.stringContaining('task "each": nothing to iterate') as string,
      }),
    ]);
    expect(result.outcomes[1]?.result?.value).toEqual([]);
    expect(server.requests.length).toBe(before);
  });

  it('a text result fails the task with the task name and the text; later tasks run', async () => {
    const folder = scratchFolder({ 'flow.yaml': flow('three little words') });
    const { result, events } = await runLoaded(load(folder, 'flow.yaml'), folder, {
      endpoint: server.url,
    });
    expect(taskStatuses(events)).toEqual(['succeeded', 'failed', 'succeeded']);
    const failed = eventsOf(events, 'task-end')[1];
    expect(failed?.error).toContain('task "each"');
    expect(failed?.error).toContain('three little words');
    // task-start is emitted even though the items could not be expanded.
    expect(eventsOf(events, 'task-start').map((event) => event.taskIndex)).toEqual([0, 1, 2]);
    expect(result.end).toMatchObject({ status: 'failed', failedTasks: [1] });
  });
});
