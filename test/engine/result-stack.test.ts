import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  messagesOf,
  startFakeModelServer,
  toolResultsOf,
  type FakeModelServer,
  type FakeReply,
  type RecordedRequest,
} from '../fakes/fake-model-server.js';
import {
  header,
  load,
  REPO_ROOT,
  removeScratchFolders,
  runLoaded,
  scratchFolder,
  taskStatuses,
} from './engine-kit.js';

/**
 * The run's result stack (seclab's last_mcp_tool_results) where a fan-out makes the order
 * of pushes a choice: branches push in item order whatever order they finish in, and a
 * failed branch's tool results are pushed too.
 */

const GIVES_TEXT = path.join(REPO_ROOT, 'test/fixtures/compat/gives-text.mjs');

let server: FakeModelServer;
beforeAll(async () => {
  server = await startFakeModelServer();
});
afterAll(async () => {
  await server.close();
  removeScratchFolders();
});

function promptOf(request: RecordedRequest): string {
  const first = messagesOf(request).find((message) => message.role === 'user');
  return typeof first?.content === 'string' ? first.content : '';
}

const files = (tasks: string) => ({
  'toolboxes/gives.yaml': `${header('toolbox')}server_params:\n  kind: stdio\n  command: "{{ runner.node }}"\n  args: [${JSON.stringify(GIVES_TEXT)}]\n`,
  'personalities/giver.yaml': `${header('personality')}personality: You give.\ntask: Give.\ntoolboxes: [toolboxes.gives]\n`,
  'flow.yaml': `${header('taskflow')}taskflow:\n${tasks}`,
});

/**
 * `GIVE <i>`: call give with `["from <i>"]`, after a delay that makes later items finish
 * first; then answer, or (for `FAIL`) stop with a content filter so the item fails.
 */
function givingModel(request: RecordedRequest): FakeReply {
  const prompt = promptOf(request);
  const index = /GIVE (\d+)/.exec(prompt)?.[1];
  if (index === undefined) return { kind: 'message', text: 'ok' };
  if (toolResultsOf(request).length === 0) {
    return {
      kind: 'message',
      latencyMs: (3 - Number(index)) * 150,
      toolCalls: [{ name: 'gives__give', arguments: { text: `["from ${index}"]` } }],
    };
  }
  if (prompt.includes('FAIL')) return { kind: 'message', text: '', finishReason: 'content_filter' };
  return { kind: 'message', text: 'given' };
}

describe('result stack with fan-out', () => {
  it('async items push in item order, whatever order they finish in', async () => {
    server.setHandler(givingModel);
    const folder = scratchFolder(
      files(`  - task:
      name: items
      run: echo '[0, 1, 2]'
  - task:
      name: give-each
      repeat_prompt: true
      async: true
      async_limit: 3
      agents: [personalities.giver]
      user_prompt: "GIVE {{ result }}"
  - task:
      name: iterate-top
      repeat_prompt: true
      agents: [personalities.giver]
      user_prompt: "ITEM {{ result }}"
`),
    );
    const before = server.requests.length;
    const { events } = await runLoaded(load(folder, 'flow.yaml'), folder, {
      endpoint: server.url,
    });
    expect(taskStatuses(events)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const prompts = server.requests.slice(before).map(promptOf);
    // Item 2 finished first and item 0 last; the top is still item 2's result.
    expect(prompts.filter((prompt) => prompt.startsWith('ITEM'))).toEqual(['ITEM from 2']);
  });

  it('a failed branch’s tool results are on the stack too', async () => {
    server.setHandler(givingModel);
    const folder = scratchFolder(
      files(`  - task:
      name: give-then-fail
      agents: [personalities.giver]
      user_prompt: "GIVE 2 FAIL"
  - task:
      name: iterate-top
      repeat_prompt: true
      agents: [personalities.giver]
      user_prompt: "ITEM {{ result }}"
`),
    );
    const before = server.requests.length;
    const { events } = await runLoaded(load(folder, 'flow.yaml'), folder, {
      endpoint: server.url,
    });
    expect(taskStatuses(events)).toEqual(['failed', 'succeeded']);
    const prompts = server.requests.slice(before).map(promptOf);
    expect(prompts.filter((prompt) => prompt.startsWith('ITEM'))).toEqual(['ITEM from 2']);
  });
});
