import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  messagesOf,
  startFakeModelServer,
  toolResultsOf,
  type FakeModelServer,
  type FakeReply,
  type RecordedRequest,
} from '../fakes/fake-model-server.js';
import { makeSandbox, REPO_ROOT } from '../e2e/cli-harness.js';
import { ofType, toolNamesOf } from '../e2e/run-kit.js';
import { runToEnd } from '../e2e/sessions-kit.js';
import { HEADER, runFlow, writeProject } from './toolbox-compat-kit.js';

/**
 * seclab's runtime semantics (issue 9, point 5), black box: the built CLI against the fake
 * model server, real MCP servers. Expected values come from seclab's runner.py:
 * `last_mcp_tool_results` is a stack that every tool result and every shell task's output
 * is pushed on, repeat_prompt iterates its top and pops it; all agents of a task share the
 * union of their personalities' toolboxes; shell tasks run `bash <file>`.
 */

/** MCP server whose tool `give` returns its `text` argument verbatim. */
const GIVES_TEXT = path.join(REPO_ROOT, 'test/fixtures/compat/gives-text.mjs');
const GIVES_PROMPT = 'Hand values over with the give tool.';

let server: FakeModelServer;
let sandbox: string;
let project: string;

beforeEach(async () => {
  server = await startFakeModelServer();
  sandbox = makeSandbox();
  project = writeProject(path.join(sandbox, 'work'), {
    'toolboxes/gives.yaml': `${HEADER} toolbox\nserver_params:\n  kind: stdio\n  command: "{{ runner.node }}"\n  args: [${JSON.stringify(GIVES_TEXT)}]\nserver_prompt: ${GIVES_PROMPT}\n`,
    'personalities/giver.yaml': `${HEADER} personality\npersonality: You hand values over.\ntask: Do as asked.\ntoolboxes:\n  - toolboxes.gives\n`,
    'personalities/talker.yaml': `${HEADER} personality\npersonality: You answer briefly.\ntask: Answer.\n`,
    'personalities/helper.yaml': `${HEADER} personality\npersonality: You help.\ntask: Help.\ntoolboxes:\n  - taskflow.toolboxes.echo\n`,
  });
  server.setHandler(directedModel);
  stopOnce = false;
});
afterEach(async () => {
  await server.close();
  fs.rmSync(sandbox, { recursive: true, force: true });
});

/** The task's prompt: the first user message of the conversation. */
function promptOf(request: RecordedRequest): string {
  const first = messagesOf(request).find((message) => message.role === 'user');
  return typeof first?.content === 'string' ? first.content : '';
}

let stopOnce = false;

/**
 * A model that does what the prompt says: `GIVE <text>` calls the give tool once with that
 * text, `SAY <text>` answers the text, `STOP` answers 401 once (the run stops there);
 * anything else is answered "ok".
 */
function directedModel(request: RecordedRequest): FakeReply {
  const prompt = promptOf(request);
  const give = /^GIVE (.*)$/m.exec(prompt)?.[1];
  const giveTool = toolNamesOf(request).find((name) => name.endsWith('__give'));
  if (give !== undefined && giveTool && toolResultsOf(request).length === 0)
    return { kind: 'message', toolCalls: [{ name: giveTool, arguments: { text: give } }] };
  if (prompt.startsWith('STOP') && stopOnce) {
    stopOnce = false;
    return { kind: 'error', status: 401, body: { error: { message: 'bad credentials' } } };
  }
  return { kind: 'message', text: /^SAY (.*)$/m.exec(prompt)?.[1] ?? 'ok' };
}

/** The repeat items the model was asked about (`ITEM <item>` prompts), in order. */
function itemsAsked(): string[] {
  return server.requests
    .map(promptOf)
    .filter((prompt) => prompt.startsWith('ITEM '))
    .map((prompt) => prompt.slice('ITEM '.length).trim());
}

function writeFlow(name: string, tasks: string): string {
  writeProject(project, { [`${name}.yaml`]: `${HEADER} taskflow\ntaskflow:\n${tasks}` });
  return `${name}.yaml`;
}

const repeatTask = (name: string) =>
  `  - task:\n      name: ${name}\n      repeat_prompt: true\n      agents: [personalities.talker]\n      user_prompt: "ITEM {{ result }}"\n`;

function taskEnds(events: readonly Record<string, unknown>[]): [unknown, unknown][] {
  return ofType(events, 'task-end').map((event) => [event.taskName, event.status]);
}

describe('repeat_prompt and the result stack (seclab runner.py last_mcp_tool_results)', () => {
  it('iterates the latest tool result; tasks without tool calls keep it; each repeat consumes it', async () => {
    const flow = writeFlow(
      'stack',
      `  - task:\n      name: listing\n      run: |\n        echo '["s1", "s2"]'\n` +
        `  - task:\n      name: fetch\n      agents: [personalities.giver]\n      capture: response\n      user_prompt: 'GIVE ["t1", "t2", "t3"]'\n` +
        `  - task:\n      name: chat\n      agents: [personalities.talker]\n      user_prompt: 'SAY ["x"]'\n` +
        repeatTask('each-t') +
        repeatTask('each-s') +
        repeatTask('nothing-left') +
        `  - task:\n      name: give-string\n      agents: [personalities.giver]\n      user_prompt: 'GIVE "abc"'\n` +
        repeatTask('each-char'),
    );
    const { result, events } = await runFlow(server, sandbox, project, flow);
    // each-t: the give result, not chat's answer; each-s: below it, the shell output.
    expect(itemsAsked()).toEqual(['t1', 't2', 't3', 's1', 's2']);
    expect(taskEnds(events)).toEqual([
      ['listing', 'succeeded'],
      ['fetch', 'succeeded'],
      ['chat', 'succeeded'],
      ['each-t', 'succeeded'],
      ['each-s', 'succeeded'],
      // seclab: IndexError on the empty stack.
      ['nothing-left', 'failed'],
      ['give-string', 'succeeded'],
      // seclab iterates a JSON string character by character; we keep it an error.
      ['each-char', 'failed'],
    ]);
    const errors = ofType(events, 'task-end').map((event) =>
      typeof event.error === 'string' ? event.error : '',
    );
    expect(errors[5]).toContain('task "nothing-left": repeat_prompt has nothing to iterate');
    expect(errors[7]).toContain('got string: "abc"');
    expect(result.code).toBe(1);
  });

  it('a resumed run rebuilds the stack from the session: pushes and pops of finished tasks', async () => {
    const flow = writeFlow(
      'resumed',
      `  - task:\n      name: listing\n      run: |\n        echo '["a1"]'\n` +
        `  - task:\n      name: fetch\n      agents: [personalities.giver]\n      capture: response\n      user_prompt: 'GIVE ["b1", "b2"]'\n` +
        repeatTask('each-b') +
        `  - task:\n      name: stop-here\n      agents: [personalities.talker]\n      user_prompt: STOP\n` +
        repeatTask('each-a'),
    );
    stopOnce = true;
    const first = await runFlow(server, sandbox, project, flow);
    expect(first.result.code).not.toBe(0);
    expect(itemsAsked()).toEqual(['b1', 'b2']);
    const sessionId = String(ofType(first.events, 'taskflow-start')[0]?.sessionId);

    const before = server.requests.length;
    const resumed = await runToEnd(server, sandbox, ['resume', sessionId, '--output', 'jsonl'], {
      cwd: project,
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    // Finished tasks ran nothing; each-a iterates the shell output under the consumed give
    // result (the old behaviour iterated stop-here's answer).
    expect(server.requests.slice(before).map(promptOf)).toEqual(['STOP', 'ITEM a1']);
  });
});

describe('handoff agents share the union of the personalities’ toolboxes (seclab runner.py)', () => {
  it('the handoff agent has the primary’s tools and server prompts, and vice versa', async () => {
    const flow = writeFlow(
      'handoff',
      `  - task:\n      name: hand-over\n      agents: [personalities.giver, personalities.helper]\n      user_prompt: please help\n`,
    );
    server.setHandler((request): FakeReply => {
      const transfer = toolNamesOf(request).find((name) => name.startsWith('transfer_to_'));
      if (transfer && toolResultsOf(request).length === 0)
        return { kind: 'message', toolCalls: [{ name: transfer, arguments: {} }] };
      return { kind: 'message', text: 'helped' };
    });
    const { result } = await runFlow(server, sandbox, project, flow);
    expect(result.code, result.stderr).toBe(0);
    const [primary, handedOver] = server.requests as [RecordedRequest, RecordedRequest];
    const mcpTools = (request: RecordedRequest) =>
      toolNamesOf(request)
        .filter((name) => !name.startsWith('transfer_to_'))
        .map((name) => name.replace(/__.*/, '__'));
    expect(new Set(mcpTools(primary))).toEqual(new Set(['gives__', 'echo__']));
    expect(toolNamesOf(primary)).toContain('transfer_to_helper');
    expect(new Set(mcpTools(handedOver))).toEqual(new Set(['gives__', 'echo__']));
    expect(toolNamesOf(handedOver).some((name) => name.startsWith('transfer_to_'))).toBe(false);
    const system = messagesOf(handedOver).find((message) => message.role === 'system');
    expect(String(system?.content)).toContain('You help.');
    expect(String(system?.content)).toContain(GIVES_PROMPT);
  });
});

describe('shell tasks run as seclab runs them (shell_utils.py: bash <file>, no -e)', () => {
  it('a failing command mid-script does not end it; the exit status decides; failed tasks push nothing', async () => {
    const flow = writeFlow(
      'shell',
      `  - task:\n      name: keeps-going\n      run: |\n        false\n        echo '["z"]'\n` +
        `  - task:\n      name: exits-3\n      run: |\n        echo '["never iterated"]'\n        exit 3\n` +
        repeatTask('each-z'),
    );
    const { result, events } = await runFlow(server, sandbox, project, flow);
    expect(taskEnds(events)).toEqual([
      ['keeps-going', 'succeeded'],
      ['exits-3', 'failed'],
      ['each-z', 'succeeded'],
    ]);
    expect(String(ofType(events, 'task-end')[1]?.error)).toContain('exited with code 3');
    expect(itemsAsked()).toEqual(['z']);
    expect(result.code).toBe(1);
  });
});
