import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { laxScalar } from '../../src/definitions/accept-seclab-forms.js';
import type { DefinitionIssue } from '../../src/definitions/issues.js';
import { loadTaskflow } from '../../src/definitions/load-taskflow.js';
import { SECLAB_ACCEPTANCE } from '../../src/definitions/seclab-acceptance.js';
import { validateReferences } from '../../src/definitions/validate-references.js';
import { createLoader, fixture, loadFixture, summary, TASK_DEFAULTS } from './valid-fixture-kit.js';

/** seclab's acceptance rules (src/definitions/seclab-acceptance.ts), one by one. */

const HEADER = (filetype: string) =>
  `seclab-taskflow-agent:\n  version: "1.0"\n  filetype: ${filetype}\n`;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-acceptance-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** Write files into the scratch folder (relative name -> text) and return a loader over it. */
function workspace(files: Record<string, string>) {
  const root = fs.mkdtempSync(path.join(scratch, 'ws-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), text);
  }
  return { root, loader: createLoader(root) };
}

const where = (issue: DefinitionIssue) =>
  `${path.basename(issue.filePath)}:${issue.line}:${issue.column} ${issue.fieldPath}`;

describe('the rules table', () => {
  it('names a seclab source for every rule', () => {
    for (const rule of SECLAB_ACCEPTANCE) expect(rule.source).toMatch(/\.py:\d+/);
  });
});

describe('duplicate keys: the last value wins, with a warning', () => {
  const { loaded, loader } = loadFixture('valid/seclab_duplicate_key.yaml');

  it('keeps the last value and points at the repeated key', () => {
    expect(loaded.tasks[0]?.userPrompt?.text).toBe('Goodbye');
    expect(loaded.tasks[0]?.userPrompt?.position.line).toBe(11);
    expect(loader.issues.warnings.map((issue) => [where(issue), issue.message])).toEqual([
      [
        'seclab_duplicate_key.yaml:11:7 taskflow[0].task.user_prompt',
        'duplicate key "user_prompt" (first written on line 10); the last value is used',
      ],
    ]);
  });

  it('is an error with strict', () => {
    expect(() =>
      loadTaskflow(createLoader(), 'valid/seclab_duplicate_key.yaml', { strict: true }),
    ).toThrow(/seclab_duplicate_key\.yaml:11:7 taskflow\[0\]\.task\.user_prompt: .*duplicate key/);
  });
});

describe('task fields written with their seclab default', () => {
  it('max_steps: 0 is the default (50), and not an explicit value', () => {
    const { loaded, loader } = loadFixture('valid/seclab_max_steps_zero.yaml');
    expect(loader.issues.issues).toEqual([]);
    expect(loaded.tasks[0]?.maxSteps).toBe(50);
    expect(loaded.tasks[0]?.explicit.has('maxSteps')).toBe(false);
  });

  it('toolboxes: [] keeps the personalities\' toolboxes; model: "" is the default model', () => {
    const { loader } = workspace({
      'flow.yaml': `${HEADER('taskflow')}taskflow:
  - task:
      agents: [taskflow.personalities.assistant]
      toolboxes: []
      model: ""
      name: ""
      user_prompt: Hello
`,
    });
    const loaded = loadTaskflow(loader, 'flow.yaml');
    expect(loader.issues.issues).toEqual([]);
    expect(loaded.tasks[0]).toMatchObject({ name: 'task-1' });
    expect(loaded.tasks[0]?.toolboxes).toBeUndefined();
    expect(loaded.tasks[0]?.model).toBeUndefined();
  });

  it('a `uses` task writing a default does not override the base (seclab merges without defaults)', () => {
    const { loader } = workspace({
      'base.yaml': `${HEADER('taskflow')}taskflow:
  - task:
      agents: [taskflow.personalities.assistant]
      max_steps: 7
      toolboxes: [taskflow.toolboxes.echo]
      user_prompt: Hello
`,
      'flow.yaml': `${HEADER('taskflow')}taskflow:
  - task:
      uses: base
      max_steps: 0
      toolboxes: []
`,
    });
    const loaded = loadTaskflow(loader, 'flow.yaml');
    expect(loaded.tasks[0]).toMatchObject({ maxSteps: 7, toolboxes: ['taskflow.toolboxes.echo'] });
  });
});

describe('pydantic lax scalars', () => {
  it.each([
    ['bool', 'yes', true],
    ['bool', 'Off', false],
    ['bool', 'true', true],
    ['bool', 'n', false],
    ['bool', 1, true],
    ['bool', 'maybe', undefined],
    ['bool', 2, undefined],
    ['int', '12', 12],
    ['int', ' 3 ', 3],
    ['int', '1.5', undefined],
    ['float', '2.5', 2.5],
    ['float', '30', 30],
    ['float', 'soon', undefined],
  ] as const)('%s %j -> %j', (type, value, expected) => {
    expect(laxScalar(value, type)).toBe(expected);
  });

  it('reads quoted booleans and numbers of tasks and toolboxes as seclab does', () => {
    const { loader } = workspace({
      'flow.yaml': `${HEADER('taskflow')}taskflow:
  - task:
      agents: [taskflow.personalities.assistant]
      toolboxes: [box]
      headless: "yes"
      must_complete: "on"
      max_steps: "7"
      repeat_prompt: "false"
      user_prompt: Hello
`,
      'box.yaml': `${HEADER('toolbox')}server_params:
  kind: stdio
  command: node
  timeout: "2.5"
  reconnecting: "true"
`,
    });
    const loaded = loadTaskflow(loader, 'flow.yaml');
    expect(loader.issues.issues).toEqual([]);
    expect(loaded.tasks[0]).toMatchObject({
      headless: true,
      mustComplete: true,
      maxSteps: 7,
      repeatPrompt: false,
    });
    expect(loaded.toolboxes.get('box')?.serverParams).toMatchObject({
      timeoutMs: 2500,
      reconnecting: true,
    });
  });
});

describe('YAML merge keys', () => {
  it('merge an anchored mapping, the written keys winning', () => {
    const { loader } = workspace({
      'flow.yaml': `${HEADER('taskflow')}defaults: &defaults
  agents: [taskflow.personalities.assistant]
  max_steps: 3
taskflow:
  - task:
      <<: *defaults
      max_steps: 4
      user_prompt: Hello
`,
    });
    const loaded = loadTaskflow(loader, 'flow.yaml');
    expect(loader.issues.errors).toEqual([]);
    expect(loaded.tasks[0]).toMatchObject({
      agents: ['taskflow.personalities.assistant'],
      maxSteps: 4,
    });
  });
});

describe('files that seclab fills with defaults', () => {
  it.each(['seclab_taskflow_empty.yaml', 'seclab_taskflow_missing.yaml'])(
    '%s has no tasks, with a warning',
    (name) => {
      const { loaded, loader } = loadFixture(`valid/${name}`);
      expect(loaded.tasks).toEqual([]);
      expect(loader.issues.issues.map((issue) => [issue.kind, issue.message])).toEqual([
        ['no-tasks', 'the taskflow has no tasks: running it does nothing'],
      ]);
    },
  );

  it('taskflow: null has no tasks either', () => {
    const { loader } = workspace({ 'flow.yaml': `${HEADER('taskflow')}taskflow:\n` });
    expect(loadTaskflow(loader, 'flow.yaml').tasks).toEqual([]);
    expect(loader.issues.warnings.map(where)).toEqual(['flow.yaml:4:1 taskflow']);
  });

  it('a personality with only the header has an empty personality and no toolboxes', () => {
    const loader = createLoader();
    const personality = loader.load('examples.personalities.header_only', 'personality');
    expect(loader.issues.issues).toEqual([]);
    expect(personality).toMatchObject({ personality: '', toolboxes: [] });
    expect(personality).not.toHaveProperty('task');
  });

  it('a prompt without prompt is empty; the typo is a warning', () => {
    const loader = createLoader();
    const prompt = loader.load('valid/seclab_prompt_without_prompt.yaml', 'prompt');
    expect(prompt).toMatchObject({ prompt: '' });
    expect(loader.issues.issues.map((issue) => [issue.severity, issue.kind])).toEqual([
      ['warning', 'unknown-field'],
    ]);
  });
});

describe('shell tasks ignore the agent fields', () => {
  const { loaded, loader } = loadFixture('valid/seclab_shell_task_ignores.yaml');

  it('drops them, warning at each, and never loads the ignored personality', () => {
    expect(summary(loaded.tasks[0])).toEqual({
      ...TASK_DEFAULTS,
      index: 0,
      name: 'shell',
      run: "echo '[1, 2]'\n",
      mustComplete: true,
    });
    expect(loader.issues.errors).toEqual([]);
    expect(loader.issues.warnings.map((issue) => [where(issue), issue.message])).toEqual([
      [
        'seclab_shell_task_ignores.yaml:12:9 taskflow[0].task.agents',
        'a shell task ("run") ignores "agents"',
      ],
      [
        'seclab_shell_task_ignores.yaml:13:14 taskflow[0].task.model',
        'a shell task ("run") ignores "model"',
      ],
      [
        'seclab_shell_task_ignores.yaml:15:17 taskflow[0].task.headless',
        'a shell task ("run") ignores "headless"',
      ],
      [
        'seclab_shell_task_ignores.yaml:14:22 taskflow[0].task.repeat_prompt',
        'a shell task ("run") ignores "repeat_prompt"',
      ],
    ]);
    expect(loaded.personalities.size).toBe(0);
  });
});

describe('agents without a prompt', () => {
  it('run on an empty prompt, with a warning', () => {
    const { loaded, loader } = loadFixture('valid/seclab_agents_without_prompt.yaml');
    expect(loaded.tasks[0]?.userPrompt?.text).toBe('');
    expect(loader.issues.issues.map((issue) => [where(issue), issue.kind])).toEqual([
      ['seclab_agents_without_prompt.yaml:7:5 taskflow[0].task', 'empty-prompt'],
    ]);
  });
});

describe('uses: merge first, check after', () => {
  const files = {
    'fragments/ask.yaml': `${HEADER('taskflow')}taskflow:
  - task:
      user_prompt: Tell me about {{ inputs.fruit }}.
`,
    'flow.yaml': `${HEADER('taskflow')}taskflow:
  - task:
      uses: fragments.ask
      agents: [taskflow.personalities.assistant]
      inputs:
        fruit: pears
`,
  };

  it('a fragment without agents takes them from the using task', () => {
    const { loader } = workspace(files);
    const loaded = loadTaskflow(loader, 'flow.yaml');
    expect(loader.issues.issues).toEqual([]);
    expect(loaded.tasks[0]).toMatchObject({
      agents: ['taskflow.personalities.assistant'],
      inputs: { fruit: 'pears' },
    });
    expect(loaded.tasks[0]?.userPrompt?.text).toBe('Tell me about {{ inputs.fruit }}.');
  });

  it('validating the fragment alone warns; running it is an error', () => {
    const { loader } = workspace(files);
    validateReferences(loader, ['fragments.ask']);
    expect(loader.issues.errors).toEqual([]);
    expect(loader.issues.warnings.map((issue) => [where(issue), issue.message])).toEqual([
      [
        'ask.yaml:5:5 taskflow[0].task',
        'a prompt task needs at least one personality in "agents": it runs only when another task uses it ("uses") and names them',
      ],
    ]);
    expect(() => loadTaskflow(workspace(files).loader, 'fragments.ask')).toThrow(
      /ask\.yaml:5:5 taskflow\[0\]\.task: a prompt task needs at least one personality in "agents"$/,
    );
  });

  it('a using task without agents over a fragment without agents is an error at `uses`', () => {
    const { loader } = workspace({
      ...files,
      'flow.yaml': `${HEADER('taskflow')}taskflow:\n  - task:\n      uses: fragments.ask\n`,
    });
    expect(() => loadTaskflow(loader, 'flow.yaml')).toThrow(
      'flow.yaml:6:13 taskflow[0].task.uses: after merging "fragments.ask": a prompt task needs at least one personality in "agents"',
    );
  });
});

describe('the moved fixtures still validate', () => {
  it.each([
    'seclab_duplicate_key.yaml',
    'seclab_max_steps_zero.yaml',
    'seclab_agents_without_prompt.yaml',
    'seclab_shell_task_ignores.yaml',
  ])('%s has no errors', (name) => {
    const loader = createLoader();
    validateReferences(loader, [`valid/${name}`]);
    expect(loader.issues.errors).toEqual([]);
    expect(loader.files.has(fixture(`valid/${name}`))).toBe(true);
  });
});
