import { describe, expect, it } from 'vitest';
import {
  CONTEXT_REPAIRS_PER_TURN,
  MIN_KEPT_TOOL_RESULT_CHARS,
  askWithContextRepair,
  shortenOldestToolResults,
} from '../../src/agent/context-repair.js';
import { ModelError } from '../../src/model/model-error.js';
import type { ConversationItem, ModelResponse } from '../../src/model/types.js';

const overflow = () =>
  new ModelError('conversation too long for model m at http://x (400): too long', {
    errorClass: 'context-overflow',
    retryable: false,
    status: 400,
  });

const reply: ModelResponse = {
  text: 'done',
  toolCalls: [],
  finishReason: 'stop',
  usage: { inputTokens: 1, outputTokens: 1 },
};

function conversationWith(...toolLengths: number[]): ConversationItem[] {
  const items: ConversationItem[] = [{ role: 'user', content: 'do it' }];
  toolLengths.forEach((length, index) => {
    const id = `call_${index}`;
    items.push({ role: 'assistant', content: '', toolCalls: [{ id, name: 't', arguments: '{}' }] });
    items.push({ role: 'tool', toolCallId: id, content: String(index).repeat(length) });
  });
  return items;
}

const toolContents = (conversation: readonly ConversationItem[]) =>
  conversation.flatMap((item) => (item.role === 'tool' ? [item.content] : []));

const marker = (removed: number) =>
  `\n[truncated by taskflow: ${removed} characters removed to fit the context]`;

describe('shortenOldestToolResults', () => {
  it('halves the kept tool text, cutting the oldest result first down to the floor', () => {
    const conversation = conversationWith(1000, 1000, 1000);
    // 3000 kept -> remove 1500: the oldest loses 800 (keeps 200), the next 700.
    expect(shortenOldestToolResults(conversation)).toEqual({ shortened: 2, removedChars: 1500 });
    expect(toolContents(conversation)).toEqual([
      `${'0'.repeat(MIN_KEPT_TOOL_RESULT_CHARS)}${marker(800)}`,
      `${'1'.repeat(300)}${marker(700)}`,
      '2'.repeat(1000),
    ]);
    expect(conversation[0]).toEqual({ role: 'user', content: 'do it' });
  });

  it('counts earlier cuts in the marker and keeps halving on the next repair', () => {
    const conversation = conversationWith(4000);
    shortenOldestToolResults(conversation);
    expect(toolContents(conversation)).toEqual([`${'0'.repeat(2000)}${marker(2000)}`]);
    expect(shortenOldestToolResults(conversation)).toEqual({ shortened: 1, removedChars: 1000 });
    expect(toolContents(conversation)).toEqual([`${'0'.repeat(1000)}${marker(3000)}`]);
  });

  it('leaves small results alone (the marker would cost more than it saves)', () => {
    const conversation = conversationWith(250, 120);
    expect(shortenOldestToolResults(conversation)).toEqual({ shortened: 0, removedChars: 0 });
    expect(toolContents(conversation)).toEqual(['0'.repeat(250), '1'.repeat(120)]);
    expect(shortenOldestToolResults(conversationWith())).toEqual({
      shortened: 0,
      removedChars: 0,
    });
  });

  it('never cuts a surrogate pair in half', () => {
    const conversation: ConversationItem[] = [
      { role: 'tool', toolCallId: 'a', content: '😀'.repeat(500) },
    ];
    shortenOldestToolResults(conversation);
    const [content] = toolContents(conversation);
    const kept = content?.split('\n[truncated')[0] ?? '';
    expect(kept).toBe('😀'.repeat(250));
  });
});

describe('askWithContextRepair', () => {
  it('repairs twice and returns the third answer; each ask sees the shortened conversation', async () => {
    const conversation = conversationWith(4000);
    const seen: number[] = [];
    const repairs: number[] = [];
    const response = await askWithContextRepair(
      () => {
        seen.push(toolContents(conversation)[0]?.length ?? 0);
        return seen.length <= 2 ? Promise.reject(overflow()) : Promise.resolve(reply);
      },
      conversation,
      (repair) => repairs.push(repair.repair),
    );
    expect(response).toBe(reply);
    expect(repairs).toEqual([1, 2]);
    expect(seen[0]).toBe(4000);
    expect(seen[1]).toBeLessThan(2100);
    expect(seen[2]).toBeLessThan(1100);
  });

  it(`fails after ${CONTEXT_REPAIRS_PER_TURN} repairs with a model error that says so`, async () => {
    const conversation = conversationWith(4000);
    let asks = 0;
    const failure = await askWithContextRepair(
      () => {
        asks += 1;
        return Promise.reject(overflow());
      },
      conversation,
      () => undefined,
    ).catch((error: unknown) => error);
    expect(asks).toBe(3);
    expect(failure).toBeInstanceOf(ModelError);
    expect((failure as ModelError).code).toBe('model');
    expect((failure as ModelError).classification.errorClass).toBe('context-overflow');
    expect((failure as ModelError).message).toMatch(/still too long after 2 repairs/);
  });

  it('fails at once when there is nothing to shorten, and passes other errors through', async () => {
    let asks = 0;
    const failure = await askWithContextRepair(
      () => {
        asks += 1;
        return Promise.reject(overflow());
      },
      conversationWith(),
      () => undefined,
    ).catch((error: unknown) => error);
    expect(asks).toBe(1);
    expect((failure as Error).message).toMatch(/no tool result is left to shorten/);

    const other = new ModelError('server error', { errorClass: 'server', retryable: true });
    await expect(
      askWithContextRepair(
        () => Promise.reject(other),
        conversationWith(4000),
        () => undefined,
      ),
    ).rejects.toBe(other);
  });
});
