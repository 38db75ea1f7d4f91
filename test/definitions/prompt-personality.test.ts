import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DefinitionIssue } from '../../src/definitions/issues.js';
import { loadTaskflow } from '../../src/definitions/load-taskflow.js';
import { promptPersonality } from '../../src/definitions/prompt-personality.js';
import { templatePosition } from '../../src/definitions/template-positions.js';
import { validateReferences } from '../../src/definitions/validate-references.js';
import { createLoader } from './valid-fixture-kit.js';

/**
 * A prompt task without agents that names its personality in the prompt, `-p name rest`
 * (seclab runner.py:606-610 with prompt_parser.parse_prompt_args), as the loader reads it.
 */

const HEADER = (filetype: string) =>
  `seclab-taskflow-agent:\n  version: "1.0"\n  filetype: ${filetype}\n`;
const ASSISTANT = 'taskflow.personalities.assistant';
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-prompt-personality-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

function workspace(files: Record<string, string>) {
  const root = fs.mkdtempSync(path.join(scratch, 'ws-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), text);
  }
  return createLoader(root);
}

const flow = (task: string) => ({ 'flow.yaml': `${HEADER('taskflow')}taskflow:\n${task}` });
const where = (issue: DefinitionIssue) =>
  `${path.basename(issue.filePath)}:${issue.line}:${issue.column} ${issue.fieldPath}${issue.severity === 'warning' ? ' warning' : ''}: ${issue.message}`;

describe('the loaded task', () => {
  it('runs the named personality on the rest of the prompt', () => {
    const loader = workspace(
      flow(`  - task:\n      user_prompt: "-p ${ASSISTANT} Tell me about {{ inputs.x }}"\n`),
    );
    const loaded = loadTaskflow(loader, 'flow.yaml');
    expect(loader.issues.issues).toEqual([]);
    const [task] = loaded.tasks;
    expect(task?.agents).toEqual([ASSISTANT]);
    expect(task?.explicit.has('agents')).toBe(false);
    expect(task?.userPrompt).toMatchObject({
      text: 'Tell me about {{ inputs.x }}',
      position: { line: 6, column: 21 + 3 + ASSISTANT.length + 1 },
      block: false,
    });
    expect([...loaded.personalities.keys()]).toEqual([ASSISTANT]);
  });

  it('a block prompt keeps exact positions on the lines after the flags', () => {
    const loader = workspace(
      flow(
        `  - task:\n      user_prompt: |\n        -p ${ASSISTANT} First line\n        second {{ x }}\n`,
      ),
    );
    const prompt = loadTaskflow(loader, 'flow.yaml').tasks[0]?.userPrompt;
    expect(prompt?.text).toBe('First line\nsecond {{ x }}\n');
    // `{{` of line 2 of the rest is line 8, column 16 of the file.
    expect(prompt && templatePosition(prompt, 2, 8)).toMatchObject({ line: 8, column: 16 });
  });

  it('ignored flags are warnings at their word; --strict makes them errors', () => {
    const files = flow(`  - task:\n      user_prompt: "-z -p ${ASSISTANT} -g a=b hi"\n`);
    const loader = workspace(files);
    loadTaskflow(loader, 'flow.yaml');
    expect(loader.issues.issues.map(where)).toEqual([
      `flow.yaml:6:${27 + ASSISTANT.length + 1} taskflow[0].task.user_prompt warning: "-g a=b" in a prompt sets no global (seclab drops it)`,
      'flow.yaml:6:21 taskflow[0].task.user_prompt warning: "-z" in a prompt is not a flag seclab knows',
    ]);
    expect(() => loadTaskflow(workspace(files), 'flow.yaml', { strict: true })).toThrow(
      /flow\.yaml:6:21 taskflow\[0\]\.task\.user_prompt: "-z" in a prompt/,
    );
  });
});

describe('with uses (merged first, read after: runner.py:543-544 then 606)', () => {
  const fragment = (prompt: string) => ({
    'fragments/ask.yaml': `${HEADER('taskflow')}taskflow:\n  - task:\n      user_prompt: "${prompt}"\n`,
  });

  it('a fragment whose prompt names the personality', () => {
    const loader = workspace({
      ...fragment(`-p ${ASSISTANT} Describe {{ inputs.fruit }}.`),
      ...flow('  - task:\n      uses: fragments.ask\n      inputs:\n        fruit: pears\n'),
    });
    const [task] = loadTaskflow(loader, 'flow.yaml').tasks;
    expect(loader.issues.issues).toEqual([]);
    expect(task).toMatchObject({ agents: [ASSISTANT], inputs: { fruit: 'pears' } });
    expect(task?.userPrompt?.text).toBe('Describe {{ inputs.fruit }}.');
  });

  it('an unknown name in the fragment is reported at "uses"', () => {
    const loader = workspace({
      ...fragment('-p no.such hello'),
      ...flow('  - task:\n      uses: fragments.ask\n'),
    });
    expect(() => loadTaskflow(loader, 'flow.yaml')).toThrow(
      /flow\.yaml:6:13 taskflow\[0\]\.task\.uses: unknown personality "no\.such"/,
    );
  });

  it('the using task gives agents: the fragment\'s "-p ..." is sent as written', () => {
    const loader = workspace({
      ...fragment('-p no.such hello'),
      ...flow(`  - task:\n      uses: fragments.ask\n      agents: [${ASSISTANT}]\n`),
    });
    const [task] = loadTaskflow(loader, 'flow.yaml').tasks;
    expect(task?.agents).toEqual([ASSISTANT]);
    expect(task?.userPrompt?.text).toBe('-p no.such hello');
  });

  it('validating a fragment alone: flags that name no personality are a warning', () => {
    const loader = workspace(fragment('-t other hello'));
    validateReferences(loader, ['fragments.ask']);
    expect(loader.issues.issues.map(where)).toEqual([
      'ask.yaml:6:21 taskflow[0].task.user_prompt warning: "-t" names a taskflow: a task without "agents" needs "-p <personality>" alone',
    ]);
  });
});

describe('promptPersonality outcomes', () => {
  const at = { filePath: 'f.yaml', line: 1, column: 1 };
  const read = (text: string) => promptPersonality({ text, position: at, block: false });

  it.each([
    ['hello -p x', 'none'],
    [' -p x hello', 'none'],
    ['- a list item', 'none'],
    ['-g a=b hello', 'none'],
    ['-lp x hello', 'invalid'],
    ['-p x -l', 'invalid'],
    ['-p  x hello', 'invalid'],
    ['-p=', 'invalid'],
    ['-p x -g', 'invalid'],
    ['-p x -g {{ v }} hi', 'invalid'],
    ['-{{ flag }} -p x hi', 'invalid'],
    ['-p x\n', 'personality'],
    ['-px -- -g a', 'personality'],
  ])('%j: %s', (text, kind) => {
    expect(read(text).kind).toBe(kind);
  });

  it('the name is stripped as seclab strips it; the rest may be empty', () => {
    expect(read('-p x\n')).toMatchObject({ reference: 'x', prompt: { text: '' } });
    expect(read('-p x  two  spaces')).toMatchObject({ prompt: { text: ' two  spaces' } });
  });
});
