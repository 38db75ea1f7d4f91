import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/fake-model-server.js';
import { makeSandbox } from '../e2e/cli-harness.js';
import {
  GLOBALS_FLOW,
  HEADER,
  HELPER_PERSONALITY,
  STACK_LINE,
  globalsSeen,
  modelRequests,
  promptOf,
  runAgainst,
  writeProject,
} from './cli-forms-kit.js';

/**
 * seclab-taskflow-agent's command line, run as the built `taskflow` with seclab's flags:
 * `-g` parsing (cli.py `_parse_global`, tests/test_cli.py TestParseGlobal and
 * tests/test_cli_parser.py), `-t X extra words`, `-p P -g k=v prompt words`, the
 * mutually exclusive flags, and TASK_AGENT_DEBUG (tests/test_cli.py TestDebugEnvParsing).
 * Expected values are seclab's, except where the README lists a deliberate difference
 * (typed -g for declared numbers/booleans; usage errors exit 2 where seclab exits 1).
 */

let server: FakeModelServer;
let sandbox: string;
let project: string;

beforeEach(async () => {
  server = await startFakeModelServer();
  server.setHandler(() => ({ kind: 'message', text: 'why did the chicken cross the road' }));
  sandbox = makeSandbox();
  project = writeProject(sandbox, {
    'flows/globals.yaml': GLOBALS_FLOW,
    'personalities/helper.yaml': HELPER_PERSONALITY,
    'flows/debug.yaml': `${HEADER('taskflow')}
taskflow:
  - task:
      run: |
        echo marker-on-stderr >&2
`,
  });
});
afterEach(async () => {
  await server.close();
  fs.rmSync(sandbox, { recursive: true, force: true });
});

const DECLARED = { test_var: 'default_value', count: 3 };

describe('-g KEY=VALUE as seclab parses it (test_cli.py TestParseGlobal)', () => {
  it.each([
    ['test_valid_key_value', 'fruit=apple', { fruit: 'apple' }],
    [
      'test_value_with_equals_sign',
      'url=https://example.com?foo=bar',
      { url: 'https://example.com?foo=bar' },
    ],
    ['test_whitespace_stripped', '  key  =  value  ', { key: 'value' }],
    ['test_empty_value', 'key=', { key: '' }],
    ['test_empty_key', '=value', { '': 'value' }],
  ])('%s: -g %j', async (_case, flag, expected) => {
    const result = await runAgainst(undefined, sandbox, project, [
      '-t',
      'flows.globals',
      '-g',
      flag,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(globalsSeen(project)).toEqual({ ...DECLARED, ...expected });
  });

  it('test_missing_equals_raises: a usage error (exit 2) naming KEY=VALUE, nothing run', async () => {
    const result = await runAgainst(undefined, sandbox, project, [
      '-t',
      'flows.globals',
      '-g',
      'no_equals_here',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('KEY=VALUE');
    expect(result.stderr).toContain('no_equals_here');
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(fs.existsSync(path.join(project, 'globals.json'))).toBe(false);
  });
});

describe('-t with -g (test_cli_parser.py TestCliGlobals)', () => {
  it('test_parse_single_global / test_parse_multiple_globals / test_globals_in_taskflow_file', async () => {
    const single = await runAgainst(undefined, sandbox, project, [
      '-t',
      'flows.globals',
      '-g',
      'fruit=apples',
    ]);
    expect(single.code, single.stderr).toBe(0);
    expect(globalsSeen(project)).toEqual({ ...DECLARED, fruit: 'apples' });

    const multiple = await runAgainst(undefined, sandbox, project, [
      '-t',
      'flows.globals',
      '-g',
      'fruit=apples',
      '-g',
      'color=red',
    ]);
    expect(multiple.code, multiple.stderr).toBe(0);
    // The file's test_var stays its default: not overridden.
    expect(globalsSeen(project)).toEqual({ ...DECLARED, fruit: 'apples', color: 'red' });
  });

  it('test_parse_global_with_spaces: "-g message=hello world" sets "hello"; "world" is an ignored prompt word', async () => {
    const result = await runAgainst(undefined, sandbox, project, [
      '-t',
      'flows.globals',
      '-g',
      'message=hello',
      'world',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(globalsSeen(project)).toEqual({ ...DECLARED, message: 'hello' });
    expect(result.stderr).toContain('warning: ignoring "world" after -t');
  });

  it('test_parse_global_with_equals_in_value: "-g equation=x=5"', async () => {
    const result = await runAgainst(undefined, sandbox, project, [
      '-t',
      'flows.globals',
      '-g',
      'equation=x=5',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(globalsSeen(project)).toEqual({ ...DECLARED, equation: 'x=5' });
  });

  it('keeps typed -g for a global the taskflow declares as a number (a deliberate difference)', async () => {
    // seclab would give the string "7"; the declared type is kept so `count + 1` is 8.
    const result = await runAgainst(undefined, sandbox, project, [
      '-t',
      'flows.globals',
      '-g',
      ' count = 7 ',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(globalsSeen(project)).toEqual({ ...DECLARED, count: 7 });
  });
});

describe('-t X extra words', () => {
  it('runs the taskflow and ignores the words with a warning, as seclab ignores them', async () => {
    const result = await runAgainst(undefined, sandbox, project, [
      '-t',
      'flows.globals',
      'please',
      'run',
      'this',
      '-g',
      'fruit=kiwi',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('warning: ignoring "please run this" after -t');
    expect(globalsSeen(project)).toEqual({ ...DECLARED, fruit: 'kiwi' });
  });

  it('still refuses extra words in our own form (taskflow run X words): exit 2', async () => {
    const result = await runAgainst(undefined, sandbox, project, [
      'run',
      'flows.globals',
      'please',
    ]);
    expect(result.code).toBe(2);
    expect(fs.existsSync(path.join(project, 'globals.json'))).toBe(false);
  });
});

describe('-p P -g k=v prompt words', () => {
  it('asks the personality the prompt words; -g is checked, then ignored as seclab ignores it', async () => {
    const result = await runAgainst(server, sandbox, project, [
      '-p',
      'personalities.helper',
      '-g',
      'fruit=apple',
      'tell',
      'me',
      'a',
      'joke',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('why did the chicken cross the road');
    expect(result.stderr).toContain('ignoring -g "fruit"');
    const [request] = modelRequests(server);
    expect(request && promptOf(request).user).toBe('tell me a joke');
    expect(request && promptOf(request).system).toContain('You are the joke helper.');

    const malformed = await runAgainst(server, sandbox, project, [
      '-p',
      'personalities.helper',
      '-g',
      'fruit',
      'hello',
    ]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('KEY=VALUE');
    expect(modelRequests(server)).toHaveLength(1);
  });

  it('takes a quoted prompt as one argument (seclab README: -p P "explain modems to me please")', async () => {
    const result = await runAgainst(server, sandbox, project, [
      '-p',
      'personalities.helper',
      'explain modems to me please',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const [request] = modelRequests(server);
    expect(request && promptOf(request).user).toBe('explain modems to me please');
  });
});

describe('flags that cannot be combined', () => {
  it.each([
    [['-p', 'personalities.helper', '-t', 'flows.globals'], /-p and -t cannot be combined/],
    [['--resume', '0123456789ab', '-t', 'flows.globals'], /--resume and -t cannot be combined/],
    [['-l', '-p', 'personalities.helper', 'hi'], /-l and -p cannot be combined/],
  ])('%j is a one-line usage error (exit 2; seclab exits 1)', async (args, message) => {
    const result = await runAgainst(server, sandbox, project, args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(modelRequests(server)).toHaveLength(0);
  });
});

describe('TASK_AGENT_DEBUG (test_cli.py TestDebugEnvParsing)', () => {
  // Debug shows the shell task's stderr as debug log lines.
  it.each([
    ['test_zero_is_false', '0', false],
    ['test_one_is_true', '1', true],
    ['test_true_string_is_true', 'true', true],
    ['test_TRUE_string_is_true', 'TRUE', true],
    ['test_yes_string_is_true', 'yes', true],
    ['test_empty_string_is_false', '', false],
    ['test_false_string_is_false', 'false', false],
    ['test_whitespace_trimmed', '  1  ', true],
    ['test_random_text_is_false', 'enabled', false],
  ])('%s: TASK_AGENT_DEBUG=%j', async (_case, value, debug) => {
    const result = await runAgainst(undefined, sandbox, project, ['-t', 'flows.debug'], {
      TASK_AGENT_DEBUG: value,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.includes('marker-on-stderr')).toBe(debug);
  });
});
