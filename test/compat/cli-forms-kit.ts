import fs from 'node:fs';
import path from 'node:path';
import {
  lastUserText,
  messagesOf,
  type FakeModelServer,
  type RecordedRequest,
} from '../fakes/fake-model-server.js';
import { runCli, type CliResult } from '../e2e/cli-harness.js';

/** Shared by the seclab command-line tests (cli-forms, prompt-parser): projects and runs. */

export const HEADER = (filetype: string): string =>
  `seclab-taskflow-agent:\n  version: "1.0"\n  filetype: ${filetype}\n`;

/** Writes `files` (relative path -> content) under `<sandbox>/project` and returns that folder. */
export function writeProject(sandbox: string, files: Readonly<Record<string, string>>): string {
  const project = path.join(sandbox, 'project');
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(project, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  return project;
}

/**
 * A taskflow whose only task writes `{{ globals | tojson }}` to `globals.json`: what a run
 * saw as globals, read back with `globalsSeen`. Declares `test_var` like seclab's
 * tests/data/test_globals_taskflow.yaml, and `count` as a number (typed -g).
 */
export const GLOBALS_FLOW = `${HEADER('taskflow')}
globals:
  test_var: default_value
  count: 3
taskflow:
  - task:
      name: show globals
      env:
        ALL: "{{ globals | tojson }}"
      run: |
        printf '%s' "$ALL" > globals.json
`;

export function globalsSeen(project: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(project, 'globals.json'), 'utf8'));
}

/** A personality without tools: one model turn answers the prompt. */
export const HELPER_PERSONALITY = `${HEADER('personality')}
personality: You are the joke helper.
task: Answer in one line.
`;

/** Runs the built CLI in `project` against the fake model (token and default model set). */
export function runAgainst(
  server: FakeModelServer | undefined,
  sandbox: string,
  project: string,
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): Promise<CliResult> {
  return runCli(args, sandbox, {
    cwd: project,
    env: {
      ...(server && {
        AI_API_ENDPOINT: server.url,
        AI_API_TOKEN: 'test-token-cli-forms',
        TASKFLOW_DEFAULT_MODEL: 'fake-model',
      }),
      ...env,
    },
  });
}

/** Model requests (chat or responses) the fake server received. */
export function modelRequests(server: FakeModelServer): RecordedRequest[] {
  return server.requests.filter((request) => request.api === 'chat' || request.api === 'responses');
}

/** The system prompt and the user's text of a model request. */
export function promptOf(request: RecordedRequest): { system: string; user: string | undefined } {
  const system = messagesOf(request)
    .filter((message) => message.role === 'system' || message.role === 'developer')
    .map((message) => (typeof message.content === 'string' ? message.content : ''))
    .join('\n');
  const instructions =
    typeof request.body.instructions === 'string' ? request.body.instructions : '';
  return { system: system || instructions, user: lastUserText(request) };
}

/** Matches a JavaScript stack frame: errors must be one line, never a trace. */
export const STACK_LINE = /^\s+at /m;
