import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  describeTaskEdit,
  reviewEdits,
  type TaskProgress,
} from '../../src/sessions/review-edits.js';
import {
  fingerprintTasks,
  type TaskflowFingerprints,
} from '../../src/sessions/task-fingerprints.js';
import { createTemplateRenderer } from '../../src/templates/template-renderer.js';
import { header, load, removeScratchFolders, scratchFolder } from '../engine/engine-kit.js';

/** Per-task fingerprints (what an edit touched) and which edits a resume accepts. */

afterAll(removeScratchFolders);

const templates = createTemplateRenderer({
  environment: {},
  resolvePrompt: () => {
    throw new Error('not rendering');
  },
});
const listIncludes = (text: string) => templates.listIncludes(text);

const FILES: Readonly<Record<string, string>> = {
  'flow.yaml': `${header('taskflow')}
model_config: configs.models
globals:
  fruit: apple
taskflow:
  - task:
      name: list
      run: echo '[1, 2]'
  - task:
      name: each
      agents: [personalities.a]
      model: fast
      repeat_prompt: true
      user_prompt: "Item {{ result }}"
  - task:
      name: report
      agents: [personalities.b]
      model: deep
      user_prompt: |
        {% include 'prompts.rules' %}
        Report.
`,
  'personalities/a.yaml': `${header('personality')}personality: A\ntask: do a\ntoolboxes: [toolboxes.t]\n`,
  'personalities/b.yaml': `${header('personality')}personality: B\ntask: do b\n`,
  'toolboxes/t.yaml': `${header('toolbox')}server_params:\n  kind: stdio\n  command: node\n`,
  'prompts/rules.yaml': `${header('prompt')}prompt: "Be brief. {% include 'prompts.inner' %}"\n`,
  'prompts/inner.yaml': `${header('prompt')}prompt: Cite lines.\n`,
  'configs/models.yaml': `${header('model_config')}models:\n  fast: m-1\n  deep: m-2\n`,
};

/** Fingerprints of the scratch project after applying `edits` (file -> [from, to]). */
function fingerprintsWith(edits: Record<string, [string, string]> = {}): TaskflowFingerprints {
  const folder = scratchFolder(FILES);
  for (const [file, [from, to]] of Object.entries(edits)) {
    const target = path.join(folder, file);
    const text = fs.readFileSync(target, 'utf8');
    if (!text.includes(from)) throw new Error(`${file} lacks ${from}`);
    fs.writeFileSync(target, text.replace(from, to));
  }
  return fingerprintTasks(load(folder, 'flow.yaml'), listIncludes);
}

/** Parts that differ per task index between the base project and an edited one. */
function changedParts(edits: Record<string, [string, string]>): Record<number, string[]> {
  const before = fingerprintsWith();
  const after = fingerprintsWith(edits);
  const result: Record<number, string[]> = {};
  after.tasks.forEach((task, index) => {
    const old = before.tasks[index]?.parts ?? {};
    const names = new Set([...Object.keys(old), ...Object.keys(task.parts)]);
    const changed = [...names].filter((name) => old[name] !== task.parts[name]).sort();
    if (changed.length > 0) result[index] = changed;
  });
  return result;
}

describe('fingerprintTasks', () => {
  it('names what each task depends on', () => {
    const { tasks } = fingerprintsWith();
    expect(tasks.map((task) => task.name)).toEqual(['list', 'each', 'report']);
    expect(Object.keys(tasks[1]?.parts ?? {})).toEqual(
      expect.arrayContaining([
        'user_prompt',
        'repeat_prompt',
        'personality personalities.a',
        'toolbox toolboxes.t',
        'model fast',
        'model_config api_type',
      ]),
    );
    expect(Object.keys(tasks[2]?.parts ?? {})).toEqual(
      expect.arrayContaining(['prompt prompts.rules', 'prompt prompts.inner', 'model deep']),
    );
    expect(Object.keys(tasks[0]?.parts ?? {})).not.toContain('model_config api_type');
  });

  it('ignores moved lines, comments and renames; sees content', () => {
    expect(
      changedParts({
        'flow.yaml': ['taskflow:\n', '# a comment\n\ntaskflow:\n'],
      }),
    ).toEqual({});
    expect(changedParts({ 'flow.yaml': ['name: each', 'name: each item'] })).toEqual({});
    expect(changedParts({ 'flow.yaml': ['"Item {{ result }}"', '"Item: {{ result }}"'] })).toEqual({
      1: ['user_prompt'],
    });
  });

  it('charges a shared definition to the tasks that use it', () => {
    expect(changedParts({ 'personalities/a.yaml': ['task: do a', 'task: do A'] })).toEqual({
      1: ['personality personalities.a'],
    });
    expect(changedParts({ 'toolboxes/t.yaml': ['command: node', 'command: deno'] })).toEqual({
      1: ['toolbox toolboxes.t'],
    });
    expect(changedParts({ 'prompts/inner.yaml': ['Cite lines.', 'Cite files.'] })).toEqual({
      2: ['prompt prompts.inner'],
    });
    expect(changedParts({ 'configs/models.yaml': ['deep: m-2', 'deep: m-3'] })).toEqual({
      2: ['model deep'],
    });
  });

  it('keeps the taskflow-level globals apart from the tasks', () => {
    const before = fingerprintsWith();
    const after = fingerprintsWith({ 'flow.yaml': ['fruit: apple', 'fruit: pear'] });
    expect(after.tasks).toEqual(before.tasks);
    expect(after.taskflow.globals).not.toBe(before.taskflow.globals);
    expect(after.taskflow.model_config).toBe(before.taskflow.model_config);
  });
});

describe('reviewEdits', () => {
  const parts = (entries: Record<string, string>) => ({ name: 't', parts: entries });
  const before = {
    tasks: [
      parts({ run: 'a' }),
      parts({ user_prompt: 'p', repeat_prompt: 'r' }),
      parts({ user_prompt: 'q' }),
    ],
    taskflow: { globals: 'g', model_config: 'm' },
  };
  const progress: TaskProgress[] = ['finished', 'started', 'not-started'];
  const review = (tasks: Record<string, string>[], taskflow = before.taskflow) =>
    reviewEdits(
      before,
      { tasks: tasks.map(parts), taskflow },
      (index) => progress[index] ?? 'not-started',
    );

  it('accepts edits to work still to do, refuses edits to kept work', () => {
    const result = review([
      { run: 'a' },
      { user_prompt: 'p2', repeat_prompt: 'r' },
      { user_prompt: 'q2' },
      { run: 'new' },
    ]);
    expect(result.tasks.map((edit) => [edit.index, edit.change, edit.refused])).toEqual([
      [1, 'edited', false],
      [2, 'edited', false],
      [3, 'added', false],
    ]);
    expect(result.kept).toEqual([]);

    const refused = review([{ run: 'b' }, { user_prompt: 'p', repeat_prompt: 'r', over: 'o' }]);
    expect(refused.tasks.map((edit) => [edit.index, edit.change, edit.refused])).toEqual([
      [0, 'edited', true],
      [1, 'edited', true],
      [2, 'removed', false],
    ]);
    expect(refused.tasks.map(describeTaskEdit)).toEqual([
      'task 1 "t" (finished): run changed',
      'task 2 "t" (in progress): over changed; its recorded item list depends on over',
      'task 3 "t" (not started): removed',
    ]);
  });

  it('refuses removing a task that ran; reports taskflow-level parts the session keeps', () => {
    const result = review([{ run: 'a' }], { globals: 'g2', model_config: 'm' });
    expect(result.tasks.map((edit) => [edit.index, edit.change, edit.refused])).toEqual([
      [1, 'removed', true],
      [2, 'removed', false],
    ]);
    expect(result.kept).toEqual(['globals']);
  });
});
