import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/fake-model-server.js';
import { makeSandbox, runCli } from './cli-harness.js';

/**
 * Issue 11 point 5: `taskflow validate` (and `run`, before it starts) reports every problem
 * at once — a template syntax error hides nothing else, a YAML mistake is one error, a
 * global that is used but never declared (nor given with -g) is an error, and a -g key the
 * taskflow does not know is a warning (an error under --strict). Built CLI, files written
 * to a temporary folder.
 */

const HEADER = 'seclab-taskflow-agent:\n  version: "1.0"\n  filetype: taskflow\n';
const ASSISTANT = 'seclab_taskflow_agent.personalities.assistant';

let sandbox: string;
let work: string;

beforeEach(() => {
  sandbox = makeSandbox();
  work = path.join(sandbox, 'work');
  fs.mkdirSync(work);
});
afterEach(() => {
  fs.rmSync(sandbox, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  fs.writeFileSync(path.join(work, name), text);
  return name;
}

function validate(...args: string[]) {
  return runCli(['validate', ...args], sandbox, { cwd: work });
}

/** The `file:line:col ...` lines of validate's report. */
function issueLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => /^\S+\.yaml:\d+:\d+ /.test(line));
}

describe('a template syntax error hides nothing else', () => {
  // Line numbers are those of the YAML text below.
  const FLOW = `${HEADER}globals:
  fruit: banana
  colour: red
taskflow:
  - task:
      name: broken-template
      agents: [${ASSISTANT}]
      user_prompt: |
        Hello {{ globals.fruit
  - task:
      name: unknown-personality
      agents: [seclab_taskflow_agent.personalities.asistant]
      user_prompt: Describe {{ globals.fruti }}.
  - task:
      name: shell
      run: echo hi
      env:
        COLOUR: "{{ globals.color }}"
`;

  it('reports the syntax error, the unknown personality and both unknown globals together', async () => {
    write('flow.yaml', FLOW);
    const result = await validate('flow.yaml');
    expect(result.code).toBe(2);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    const lines = issueLines(result.stderr);
    expect(lines).toEqual([
      expect.stringMatching(
        /^flow\.yaml:12:\d+ taskflow\[0\]\.task\.user_prompt: template syntax error/,
      ),
      expect.stringMatching(
        /^flow\.yaml:15:16 taskflow\[1\]\.task\.agents\[0\]: unknown personality "seclab_taskflow_agent\.personalities\.asistant" — did you mean "seclab_taskflow_agent\.personalities\.assistant"\?/,
      ),
      expect.stringMatching(
        /^flow\.yaml:16:32 taskflow\[1\]\.task\.user_prompt: globals\.fruti is not declared .*did you mean "fruit"\?/,
      ),
      expect.stringMatching(
        /^flow\.yaml:21:21 taskflow\[2\]\.task\.env\.COLOUR: globals\.color is not declared .*did you mean "colour"\?/,
      ),
    ]);
    // Two files: the taskflow and the bundled personality of task 1.
    expect(result.stderr).toContain('invalid: 4 errors, 0 warnings in 2 files');
  });

  it('a syntax error in an included prompt hides nothing in the taskflow that includes it', async () => {
    fs.mkdirSync(path.join(work, 'prompts'));
    write(
      'prompts/broken.yaml',
      'seclab-taskflow-agent:\n  version: "1.0"\n  filetype: prompt\nprompt: |\n  Hi {% if %}\n',
    );
    write(
      'flow.yaml',
      `${HEADER}taskflow:
  - task:
      agents: [${ASSISTANT}]
      user_prompt: |
        {% include 'prompts.broken' %}
  - task:
      agents: [${ASSISTANT}]
      user_prompt: Tell me about {{ globals.fruit }}.
`,
    );
    const result = await validate('flow.yaml');
    expect(result.code).toBe(2);
    const lines = issueLines(result.stderr);
    expect(lines).toEqual([
      expect.stringMatching(
        /^flow\.yaml:11:\d+ taskflow\[1\]\.task\.user_prompt: globals\.fruit is not declared/,
      ),
      expect.stringMatching(/^prompts\/broken\.yaml:5:\d+ prompt: template syntax error/),
    ]);
  });
});

describe('one YAML mistake is one error', () => {
  /** A taskflow of 40 tasks with `mistake` replacing its line `line` (1-based). */
  function longFlow(line: number, mistake: string): string {
    const lines = [...HEADER.trimEnd().split('\n'), 'globals:', '  fruit: banana', 'taskflow:'];
    for (let index = 0; index < 40; index++) {
      lines.push(
        '  - task:',
        `      name: task-${index}`,
        `      agents: [${ASSISTANT}]`,
        '      user_prompt: |',
        `        Say ${index} about {{ globals.fruit }}.`,
      );
    }
    lines[line - 1] = mistake;
    return `${lines.join('\n')}\n`;
  }

  it.each([
    ['a tab in the indentation', 8, '\t    name: task-0', '8:1 YAML syntax error: Tabs'],
    ['a key indented one space too little', 8, '     name: task-0', '8:'],
    ['a key without its colon', 6, 'taskflow', '6:1'],
    ['a task indented one space too far', 7, '   - task:', ''],
  ])('%s', async (_label, line, mistake, where) => {
    write('flow.yaml', longFlow(line, mistake));
    const result = await validate('flow.yaml');
    expect(result.code).toBe(2);
    const lines = issueLines(result.stderr);
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/YAML syntax error/);
    expect(lines[0]).toContain(`flow.yaml:${where}`);
    expect(result.stderr).toContain('invalid: 1 error, 0 warnings in 1 file');
  });

  it('tabs on several lines are reported on each of those lines', async () => {
    const flow = longFlow(8, '\t    name: task-0').replace(
      '      name: task-3\n',
      '\t    name: task-3\n',
    );
    write('flow.yaml', flow);
    const lines = issueLines((await validate('flow.yaml')).stderr);
    expect(lines.map((line) => line.split(' ')[0])).toEqual(['flow.yaml:8:1', 'flow.yaml:23:1']);
  });
});

describe('globals: used but not declared', () => {
  const FLOW = `${HEADER}globals:
  fruit: banana
  repo:
taskflow:
  - task:
      name: first
      run: echo one
  - task:
      name: second
      agents: [${ASSISTANT}]
      user_prompt: |
        Look at {{ globals.repo }} for {{ globals.fruti }}.
`;

  it('is an error at the use, with did-you-mean; a global declared without a value is declared', async () => {
    write('flow.yaml', FLOW);
    const result = await validate('flow.yaml');
    expect(result.code).toBe(2);
    expect(issueLines(result.stderr)).toEqual([
      expect.stringMatching(
        /^flow\.yaml:15:43 taskflow\[1\]\.task\.user_prompt: globals\.fruti is not declared in "globals" — did you mean "fruit"\? \(declare it, or pass -g fruti=VALUE\)$/,
      ),
    ]);
  });

  it('is fine when -g provides it', async () => {
    write('flow.yaml', FLOW);
    const result = await validate('flow.yaml', '-g', 'fruti=kiwi');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('is fine when the template allows it to be undefined (default, is defined, in)', async () => {
    write(
      'flow.yaml',
      `${HEADER}taskflow:
  - task:
      name: first
      agents: [${ASSISTANT}]
      if: globals.only_when_given
      user_prompt: |
        {{ globals.tone | default('plain') }}
        {% if globals.extra is defined %}{{ globals.extra }}{% endif %}
        {% if 'more' in globals %}{{ globals.more }}{% endif %}
  - task:
      name: second
      run: echo two
`,
    );
    const result = await validate('flow.yaml');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('is a warning in a one-task taskflow validated alone (a fragment that "uses" may supply it)', async () => {
    write(
      'fragment.yaml',
      `${HEADER}taskflow:
  - task:
      agents: [${ASSISTANT}]
      user_prompt: Hello {{ globals.name }}
`,
    );
    write(
      'user.yaml',
      `${HEADER}globals:
  nmae: x
taskflow:
  - task:
      uses: fragment
  - task:
      run: echo two
`,
    );
    const result = await validate('fragment.yaml');
    expect(result.code).toBe(0);
    expect(issueLines(result.stderr)).toEqual([
      expect.stringMatching(
        /^fragment\.yaml:7:29 taskflow\[0\]\.task\.user_prompt: warning: globals\.name is not declared in "globals" \(declare it, or pass -g name=VALUE\); fine if this file is only run through "uses" by a taskflow that declares it$/,
      ),
    ]);
    // Through "uses" the fragment's template runs with the using taskflow's globals.
    const user = await validate('user.yaml');
    expect(user.code).toBe(2);
    expect(issueLines(user.stderr)).toEqual([
      expect.stringMatching(
        /^user\.yaml:8:13 taskflow\[0\]\.task\.uses: after merging "fragment": globals\.name \(fragment\.yaml:7:29\) is not declared in "globals" — did you mean "nmae"\?/,
      ),
    ]);
  });
});

describe('-g keys the taskflow does not declare', () => {
  const FLOW = `${HEADER}globals:
  fruit: banana
taskflow:
  - task:
      run: echo "$FRUIT"
      env:
        FRUIT: "{{ globals.fruit }}"
  - task:
      run: echo done
`;

  it('validate: a warning with did-you-mean, exit 0; an error under --strict', async () => {
    write('flow.yaml', FLOW);
    const lenient = await validate('flow.yaml', '-g', 'friut=kiwi');
    expect(lenient.code).toBe(0);
    expect(lenient.stderr).toMatch(
      /^flow\.yaml:4:1 globals: warning: -g friut: the taskflow declares no global "friut" — did you mean "fruit"\?/m,
    );
    const strict = await validate('flow.yaml', '-g', 'friut=kiwi', '--strict');
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(
      /^flow\.yaml:4:1 globals: -g friut: the taskflow declares no global/m,
    );
  });

  it('validate: a -g key the templates use is known, declared or not', async () => {
    write(
      'flow.yaml',
      `${HEADER}taskflow:
  - task:
      run: echo "$X"
      env:
        X: "{{ globals.target }}"
  - task:
      run: echo done
`,
    );
    const result = await validate('flow.yaml', '-g', 'target=kiwi', '--strict');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});

describe('run checks the same before it starts', () => {
  let server: FakeModelServer;
  beforeEach(async () => {
    server = await startFakeModelServer();
  });
  afterEach(async () => {
    await server.close();
  });

  function run(...args: string[]) {
    return runCli(['run', ...args, '--output', 'plain'], sandbox, {
      cwd: work,
      env: { AI_API_ENDPOINT: server.url, AI_API_TOKEN: 'test-token-validate' },
    });
  }
  const sessions = () => {
    const directory = path.join(sandbox, 'sessions');
    return fs.existsSync(directory) ? fs.readdirSync(directory) : [];
  };

  it('an undeclared global is exit 2 with nothing started, no session, no request', async () => {
    write(
      'flow.yaml',
      `${HEADER}globals:
  fruit: banana
taskflow:
  - task:
      run: echo started > started.txt
  - task:
      agents: [${ASSISTANT}]
      user_prompt: About {{ globals.fruti }}
`,
    );
    const result = await run('flow.yaml');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /flow\.yaml:11:29 .*globals\.fruti is not declared.*did you mean "fruit"/,
    );
    expect(fs.existsSync(path.join(work, 'started.txt'))).toBe(false);
    expect(sessions()).toEqual([]);
    expect(server.requests).toHaveLength(0);
  });

  it('an unknown -g key warns and runs; under --strict it is exit 2 before anything starts', async () => {
    write(
      'flow.yaml',
      `${HEADER}globals:
  fruit: banana
taskflow:
  - task:
      run: echo "$FRUIT" > ran.txt
      env:
        FRUIT: "{{ globals.fruit }}"
`,
    );
    const strict = await run('flow.yaml', '-g', 'friut=kiwi', '--strict');
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(
      /-g friut: the taskflow declares no global "friut" — did you mean "fruit"\?/,
    );
    expect(fs.existsSync(path.join(work, 'ran.txt'))).toBe(false);
    expect(sessions()).toEqual([]);

    const lenient = await run('flow.yaml', '-g', 'friut=kiwi');
    expect(lenient.code, lenient.stderr).toBe(0);
    expect(lenient.stderr).toMatch(
      /warning: .*-g friut: the taskflow declares no global "friut" — did you mean "fruit"\?/,
    );
    expect(fs.readFileSync(path.join(work, 'ran.txt'), 'utf8')).toBe('banana\n');
  });
});
