import { describe, expect, it } from 'vitest';
import { replayJournal, type ItemReplay } from '../../src/sessions/replay.js';
import { restoreAgentState } from '../../src/sessions/restore-agent-state.js';
import { call, JournalBuilder } from './journal-builder.js';

const NUDGE = 'Continue.';

function itemOf(journal: JournalBuilder, task = 0, item = 0): ItemReplay {
  const replayed = replayJournal(journal.records).tasks.get(task)?.itemStates.get(item);
  if (!replayed) throw new Error(`no item ${task}.${item}`);
  return replayed;
}

describe('replayJournal', () => {
  it('tracks task and item status, results and recorded items', () => {
    const result = { value: 'a!', source: { text: 'a!' } };
    const journal = new JournalBuilder()
      .add({
        type: 'task-start',
        task: 0,
        name: 'each',
        itemCount: 2,
        items: ['a', 'b'],
        model: 'm',
      })
      .add({ type: 'item-start', task: 0, item: 0, prompt: 'do a' })
      .turn(1, 'a!')
      .add({ type: 'item-end', task: 0, item: 0, status: 'succeeded', result })
      .add({ type: 'item-start', task: 0, item: 1 })
      .turn(1, '', [call('x')], 'lead', 1);
    const task = replayJournal(journal.records).tasks.get(0);
    expect(task).toMatchObject({
      name: 'each',
      status: 'running',
      items: ['a', 'b'],
      itemCount: 2,
      model: 'm',
    });
    expect(task?.itemStates.get(0)).toMatchObject({ status: 'succeeded', result, prompt: 'do a' });
    expect(task?.itemStates.get(1)?.status).toBeUndefined();
    expect(task?.usage).toEqual({ inputTokens: 20, outputTokens: 2 });

    journal.add({
      type: 'task-end',
      task: 0,
      status: 'failed',
      error: { code: 'model', message: 'boom' },
      usage: { inputTokens: 25, outputTokens: 3 },
      durationMs: 9,
    });
    expect(replayJournal(journal.records).tasks.get(0)).toMatchObject({
      status: 'failed',
      error: { code: 'model', message: 'boom' },
      usage: { inputTokens: 25, outputTokens: 3 },
    });
  });

  it('keeps committed state on a resumed start and drops it on a fresh start', () => {
    const journal = new JournalBuilder()
      .add({ type: 'task-start', task: 0, name: 't', itemCount: 1, items: ['a'] })
      .turn(1, '', [call('x')])
      .add({
        type: 'item-end',
        task: 0,
        item: 0,
        status: 'failed',
        error: { code: 'model', message: 'e' },
      })
      .add({
        type: 'task-end',
        task: 0,
        status: 'failed',
        usage: { inputTokens: 10, outputTokens: 1 },
        durationMs: 1,
      })
      .add({ type: 'task-start', task: 0, name: 't', itemCount: 1, resumed: true })
      .add({ type: 'item-start', task: 0, item: 0, resumed: true });
    const resumed = replayJournal(journal.records).tasks.get(0);
    expect(resumed).toMatchObject({ status: 'running', items: ['a'] });
    expect(resumed?.error).toBeUndefined();
    expect(resumed?.itemStates.get(0)?.status).toBeUndefined();
    expect(resumed?.itemStates.get(0)?.turns.map((turn) => turn.turn)).toEqual([1]);

    journal.add({ type: 'task-start', task: 0, name: 't', itemCount: 1, items: ['b'] });
    const fresh = replayJournal(journal.records).tasks.get(0);
    expect(fresh).toMatchObject({ status: 'running', items: ['b'] });
    expect(fresh?.itemStates.size).toBe(0);
  });

  it('keeps the highest attempt count per request and counts retries per task', () => {
    const journal = new JournalBuilder()
      .add({
        type: 'request-attempts',
        key: '0.0.turn0',
        attempts: 2,
        errorClass: 'network',
        task: 0,
      })
      .add({
        type: 'request-attempts',
        key: '0.0.turn0',
        attempts: 1,
        errorClass: 'network',
        task: 0,
      })
      .add({
        type: 'request-attempts',
        key: '0.0.turn0',
        attempts: 3,
        errorClass: 'rate-limited',
        task: 0,
      })
      .add({ type: 'request-attempts', key: '0.1.turn0', attempts: 1 });
    const state = replayJournal(journal.records);
    expect(state.attempts).toEqual(
      new Map([
        ['0.0.turn0', 3],
        ['0.1.turn0', 1],
      ]),
    );
    expect(state.tasks.get(0)).toMatchObject({
      retries: { network: 2, 'rate-limited': 1 },
      requests: 3,
    });
  });
});

describe('restoreAgentState', () => {
  it('rebuilds a multi-turn conversation with tool results', () => {
    const journal = new JournalBuilder()
      .turn(1, 'looking', [call('a')])
      .intent('a')
      .result('a', 'A', { record: { text: 'A' } })
      .turn(2, '', [call('b')])
      .intent('b')
      .result('b', 'B');
    const { restored, pendingCalls, finished } = restoreAgentState(
      itemOf(journal),
      'prompt',
      NUDGE,
    );
    expect(restored).toEqual({
      conversation: [
        { role: 'user', content: 'prompt' },
        { role: 'assistant', content: 'looking', toolCalls: [call('a')] },
        { role: 'tool', toolCallId: 'a', content: 'A' },
        { role: 'assistant', content: '', toolCalls: [call('b')] },
        { role: 'tool', toolCallId: 'b', content: 'B' },
      ],
      activeAgent: 'lead',
      turns: 2,
      usage: { inputTokens: 30, outputTokens: 3 },
      lastToolResult: { text: 'A' },
      // Every MCP result, for the run's result stack (issue 9); 'B' is not an MCP result.
      toolResults: [{ text: 'A' }],
    });
    expect(pendingCalls).toEqual([]);
    expect(finished).toBeUndefined();
  });

  it('reports calls of the last turn without results, telling whether they may have run', () => {
    const journal = new JournalBuilder()
      .turn(1, '', [call('a'), call('b'), call('c')])
      .intent('a')
      .intent('b')
      .result('a', 'A');
    const { restored, pendingCalls } = restoreAgentState(itemOf(journal), 'prompt', NUDGE);
    expect(restored.conversation.at(-1)).toEqual({ role: 'tool', toolCallId: 'a', content: 'A' });
    expect(restored.conversation).toHaveLength(3);
    expect(pendingCalls).toEqual([
      { call: call('b'), hadIntent: true },
      { call: call('c'), hadIntent: false },
    ]);
  });

  it('follows a handoff to the next agent', () => {
    const handoff = new JournalBuilder()
      .turn(1, '', [call('h', 'transfer_to_helper'), call('a')])
      .result('h', 'Handed over', { handoffTo: 'helper' })
      .result('a', 'A');
    expect(restoreAgentState(itemOf(handoff), 'p', NUDGE).restored.activeAgent).toBe('helper');
    handoff.turn(2, '', [call('b')], 'helper').result('b', 'B');
    expect(restoreAgentState(itemOf(handoff), 'p', NUDGE).restored).toMatchObject({
      activeAgent: 'helper',
      turns: 2,
    });
  });

  it('puts the nudge after an empty reply and finishes on the answer that followed', () => {
    const journal = new JournalBuilder().turn(1, '  ');
    const waiting = restoreAgentState(itemOf(journal), 'p', NUDGE);
    expect(waiting.finished).toBeUndefined();
    expect(waiting.restored.conversation.at(-1)).toEqual({ role: 'user', content: NUDGE });

    journal.turn(2, 'the answer');
    const done = restoreAgentState(itemOf(journal), 'p', NUDGE);
    expect(done.restored.conversation).toEqual([
      { role: 'user', content: 'p' },
      { role: 'assistant', content: '  ', toolCalls: [] },
      { role: 'user', content: NUDGE },
      { role: 'assistant', content: 'the answer', toolCalls: [] },
    ]);
    expect(done.finished).toEqual({ finalText: 'the answer' });
    expect(itemOf(journal).status).toBeUndefined();
  });

  it('treats a second empty reply after a nudge as the final answer', () => {
    const journal = new JournalBuilder().turn(1, '').turn(2, '');
    expect(restoreAgentState(itemOf(journal), 'p', NUDGE).finished).toEqual({ finalText: '' });
  });

  it('ends an exclude_from_context run after its first completed tool turn', () => {
    const journal = new JournalBuilder().turn(1, '', [call('a')]).result('a', 'A');
    expect(
      restoreAgentState(itemOf(journal), 'p', NUDGE, { excludeFromContext: true }).finished,
    ).toEqual({ finalText: '' });
    expect(restoreAgentState(itemOf(journal), 'p', NUDGE).finished).toBeUndefined();
  });

  it('starts from the prompt alone when no turn was committed', () => {
    const journal = new JournalBuilder().add({ type: 'item-start', task: 0, item: 0 });
    expect(restoreAgentState(itemOf(journal), 'p', NUDGE)).toEqual({
      restored: {
        conversation: [{ role: 'user', content: 'p' }],
        activeAgent: '',
        turns: 0,
        usage: { inputTokens: 0, outputTokens: 0 },
      },
      pendingCalls: [],
    });
  });
});
