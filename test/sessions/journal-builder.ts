import type { JournalRecord, JournalRecordInput } from '../../src/sessions/journal-records.js';
import type { ToolCall } from '../../src/model/types.js';

/** Builds stamped journal records in memory for replay tests. */
export class JournalBuilder {
  readonly records: JournalRecord[] = [];

  add(input: JournalRecordInput): this {
    const seq = this.records.length + 1;
    this.records.push({
      seq,
      at: new Date(Date.UTC(2025, 0, 1, 0, 0, seq)).toISOString(),
      ...input,
    });
    return this;
  }

  turn(turn: number, content: string, toolCalls: ToolCall[] = [], agent = 'lead', item = 0): this {
    return this.add({
      type: 'turn-commit',
      task: 0,
      item,
      turn,
      agent,
      message: { content, toolCalls },
      usage: { inputTokens: 10 * turn, outputTokens: turn },
    });
  }

  intent(callId: string, item = 0): this {
    return this.add({
      type: 'tool-intent',
      task: 0,
      item,
      callId,
      toolbox: 'echo',
      tool: 'echo',
      arguments: '{}',
    });
  }

  result(
    callId: string,
    content: string,
    extra: { handoffTo?: string; record?: { text: string } } = {},
    item = 0,
  ): this {
    return this.add({
      type: 'tool-result',
      task: 0,
      item,
      callId,
      content,
      status: extra.handoffTo ? 'handoff' : 'ok',
      ...extra,
    });
  }
}

export function call(id: string, name = 'echo-echo'): ToolCall {
  return { id, name, arguments: `{"id":"${id}"}` };
}
