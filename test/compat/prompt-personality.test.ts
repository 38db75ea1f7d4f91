import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/fake-model-server.js';
import { makeSandbox } from '../e2e/cli-harness.js';
import {
  HEADER,
  HELPER_PERSONALITY,
  STACK_LINE,
  modelRequests,
  promptOf,
  runAgainst,
  writeProject,
} from './cli-forms-kit.js';

/**
 * seclab's legacy form of a prompt task without `agents`: its user_prompt names the
 * personality itself, `-p some.personality rest of the prompt`. seclab's runner parses each
 * prompt of such a task with prompt_parser.parse_prompt_args (runner.py:606-610): the `-p`
 * value is the agent, the words after the flags are the prompt; with no personality the task
 * fails ("No agents resolved", runner.py:617-621). taskflow reads the flags when it loads the
 * file, so a wrong name is a positioned error before anything runs.
 */

let server: FakeModelServer;
let sandbox: string;

beforeEach(async () => {
  server = await startFakeModelServer();
  server.setHandler(() => ({ kind: 'message', text: 'ok' }));
  sandbox = makeSandbox();
});
afterEach(async () => {
  await server.close();
  fs.rmSync(sandbox, { recursive: true, force: true });
});

/** A project with the joke helper personality and `flow.yaml` holding `tasks`. */
function project(tasks: string, globals = ''): string {
  return writeProject(sandbox, {
    'my/personality.yaml': HELPER_PERSONALITY,
    'flow.yaml': `${HEADER('taskflow')}${globals}taskflow:\n${tasks}`,
  });
}

/** The system prompt and user text of every model request, in order. */
function asked(): { user: string | undefined; personality: boolean }[] {
  return modelRequests(server).map((request) => {
    const { system, user } = promptOf(request);
    return { user, personality: system.includes('You are the joke helper.') };
  });
}

describe('a prompt task without agents takes its personality from "-p" (runner.py:606-610)', () => {
  it('test_personality_flag: "-p my.personality tell me a joke"', async () => {
    const folder = project(`  - task:\n      user_prompt: "-p my.personality tell me a joke"\n`);
    const result = await runAgainst(server, sandbox, folder, ['run', 'flow.yaml']);
    expect(result.code, result.stderr).toBe(0);
    expect(asked()).toEqual([{ user: 'tell me a joke', personality: true }]);
  });

  it('the rest is rendered as the prompt; "-g" in a prompt sets no global (runner.py:608)', async () => {
    const folder = project(
      `  - task:
      user_prompt: |
        -p my.personality -g fruit=apple Tell me about {{ globals.fruit }}
        in two lines.
`,
      'globals:\n  fruit: pears\n',
    );
    const result = await runAgainst(server, sandbox, folder, ['run', 'flow.yaml']);
    expect(result.code, result.stderr).toBe(0);
    expect(asked()).toEqual([{ user: 'Tell me about pears\nin two lines.', personality: true }]);
    expect(result.stderr).toContain(
      'flow.yaml:9:27 taskflow[0].task.user_prompt: warning: "-g fruit=apple" in a prompt sets no global',
    );
  });

  it('each item of a repeat_prompt task is parsed the same way', async () => {
    const folder = project(
      `  - task:
      repeat_prompt: true
      over: globals.fruits
      user_prompt: "-p my.personality Describe {{ result }}."
`,
      'globals:\n  fruits: [apple, pear]\n',
    );
    const result = await runAgainst(server, sandbox, folder, ['run', 'flow.yaml']);
    expect(result.code, result.stderr).toBe(0);
    expect(asked()).toEqual([
      { user: 'Describe apple.', personality: true },
      { user: 'Describe pear.', personality: true },
    ]);
  });

  it('a task that has agents sends "-p ..." as written (only an agentless task is parsed)', async () => {
    const folder = project(
      `  - task:\n      agents: [my.personality]\n      user_prompt: "-p other.one hello"\n`,
    );
    const result = await runAgainst(server, sandbox, folder, ['run', 'flow.yaml']);
    expect(result.code, result.stderr).toBe(0);
    expect(asked()).toEqual([{ user: '-p other.one hello', personality: true }]);
  });
});

describe('no personality: a positioned error at load, nothing runs', () => {
  it('"-p unknown.name" names the word in the prompt', async () => {
    const folder = project(`  - task:\n      user_prompt: "-p unknown.name hello"\n`);
    for (const command of ['validate', 'run']) {
      const result = await runAgainst(server, sandbox, folder, [command, 'flow.yaml']);
      expect(result.code).toBe(2);
      expect(result.stderr).not.toMatch(STACK_LINE);
      expect(result.stderr).toMatch(
        /flow\.yaml:6:24 taskflow\[0\]\.task\.user_prompt: unknown personality "unknown\.name"/,
      );
    }
    expect(modelRequests(server)).toHaveLength(0);
  });

  it.each([
    // test_mutual_exclusivity_p_and_t: argparse refuses, parse_prompt_args returns no personality
    ['-p my.personality -t other hello', '6:39', '"-t" names a taskflow'],
    ['-l hello', '6:21', '"-l" lists models'],
    // test_invalid_global_format_returns_none_tuple
    ['-p my.personality -g badformat hello', '6:39', '"-g badformat" is not KEY=VALUE'],
    ['-p', '6:21', '"-p" needs a personality name after it'],
    ['-p {{ globals.who }} hello', '6:24', '"-p" is followed by a template'],
  ])('%s', async (prompt, at, message) => {
    const folder = project(`  - task:\n      user_prompt: "${prompt}"\n`);
    const result = await runAgainst(server, sandbox, folder, ['run', 'flow.yaml']);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.stderr).toContain(`flow.yaml:${at} taskflow[0].task.user_prompt: ${message}`);
    expect(modelRequests(server)).toHaveLength(0);
  });

  it('a prompt that does not start with "-p" still needs agents', async () => {
    const folder = project(`  - task:\n      user_prompt: "hello -p my.personality"\n`);
    const result = await runAgainst(server, sandbox, folder, ['run', 'flow.yaml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'flow.yaml:5:5 taskflow[0].task: a prompt task needs at least one personality in "agents"',
    );
  });

  it('a name glued to the next line by a newline is no personality (seclab splits on spaces only)', async () => {
    const folder = project(
      `  - task:\n      user_prompt: |\n        -p my.personality\n        hello\n`,
    );
    const result = await runAgainst(server, sandbox, folder, ['run', 'flow.yaml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'flow.yaml:7:12 taskflow[0].task.user_prompt: "-p" takes the text up to the next space',
    );
  });
});
