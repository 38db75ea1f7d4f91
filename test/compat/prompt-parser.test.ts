import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/fake-model-server.js';
import { makeSandbox } from '../e2e/cli-harness.js';
import {
  GLOBALS_FLOW,
  HELPER_PERSONALITY,
  STACK_LINE,
  globalsSeen,
  modelRequests,
  promptOf,
  runAgainst,
  writeProject,
} from './cli-forms-kit.js';

/**
 * seclab's prompt parser (prompt_parser.py `parse_prompt_args`, tests/test_prompt_parser_edge.py):
 * `-p personality prompt words`, `-t taskflow words`, `-l`, repeatable `-g KEY=VALUE`, the
 * rest of the words as the prompt. Each case runs as the built CLI with the same words;
 * what the parser returns is what the model (prompt, system prompt), the taskflow (globals)
 * or the exit code shows. The parser's return shape (a 6-tuple; argparse reading sys.argv
 * for `None`) has no counterpart outside Python.
 */

let server: FakeModelServer;
let sandbox: string;
let project: string;

beforeEach(async () => {
  server = await startFakeModelServer();
  server.setHandler(() => ({ kind: 'message', text: 'ok' }));
  sandbox = makeSandbox();
  project = writeProject(sandbox, {
    'my/personality.yaml': HELPER_PERSONALITY,
    'my/taskflow.yaml': GLOBALS_FLOW,
  });
});
afterEach(async () => {
  await server.close();
  fs.rmSync(sandbox, { recursive: true, force: true });
});

const words = (line: string) => line.split(' ');

/** The one model request of an `ask`: its user text and whether the personality was used. */
function askedPrompt(): { user: string | undefined; personality: boolean } {
  const requests = modelRequests(server);
  expect(requests).toHaveLength(1);
  const { system, user } = promptOf(requests[0] as (typeof requests)[number]);
  return { user, personality: system.includes('You are the joke helper.') };
}

describe('parse_prompt_args cases on the command line', () => {
  it.each([
    ['test_personality_flag', '-p my.personality hello world', 'hello world'],
    ['test_prompt_remainder_collected', '-p my.personality tell me a joke', 'tell me a joke'],
    ['test_global_variable_valid', '-p my.personality -g fruit=apple hello', 'hello'],
    ['test_multiple_globals', '-p my.personality -g fruit=apple -g color=red', ''],
    ['test_global_value_with_equals', '-p my.personality -g url=https://x.com?a=1', ''],
  ])('%s: %s', async (_case, line, prompt) => {
    const result = await runAgainst(server, sandbox, project, words(line));
    expect(result.code, result.stderr).toBe(0);
    expect(askedPrompt()).toEqual({ user: prompt, personality: true });
  });

  it('test_taskflow_flag: "-t my.taskflow do stuff" runs the taskflow; the words are no prompt of it', async () => {
    const result = await runAgainst(server, sandbox, project, words('-t my.taskflow do stuff'));
    expect(result.code, result.stderr).toBe(0);
    expect(globalsSeen(project)).toEqual({ test_var: 'default_value', count: 3 });
    expect(result.stderr).toContain('warning: ignoring "do stuff" after -t');
    expect(modelRequests(server)).toHaveLength(0);
  });

  it('test_list_models_flag: "-l" lists the models', async () => {
    const result = await runAgainst(server, sandbox, project, ['-l']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('fake-model');
    expect(server.requests.at(-1)).toMatchObject({ method: 'GET', path: '/v1/models' });
  });

  it.each([
    ['test_invalid_global_format_returns_none_tuple', '-p my.personality -g badformat hi'],
    ['test_invalid_global_format (with -t)', '-t my.taskflow -g badformat'],
    ['test_mutual_exclusivity_p_and_t', '-p foo -t bar'],
  ])('%s: %s is a usage error, nothing runs', async (_case, line) => {
    const result = await runAgainst(server, sandbox, project, words(line));
    expect(result.code).toBe(2);
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.stderr.trim().split('\n')[0]).toMatch(/^taskflow: /);
    expect(modelRequests(server)).toHaveLength(0);
    expect(fs.existsSync(path.join(project, 'globals.json'))).toBe(false);
  });
});
