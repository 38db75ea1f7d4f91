import { describe, expect, it } from 'vitest';
import type { TaskflowEvent, TaskflowEventBody } from '../../src/events.js';
import { createRedactingEventSink } from '../../src/redaction/redacting-event-sink.js';
import { REDACTED, Redactor } from '../../src/redactor.js';

const TOKEN = 'tok4Tfl0wQz8Lm2Xw9Kd7Rp3';
const at = '2026-01-01T00:00:00.000Z';

function delta(text: string, itemIndex = 0): TaskflowEvent {
  return { type: 'text-delta', taskIndex: 0, itemIndex, agent: 'a', text, timestamp: at };
}

function setUp() {
  const redactor = new Redactor();
  redactor.add(TOKEN);
  const seen: TaskflowEvent[] = [];
  const sink = createRedactingEventSink(redactor, (event) => seen.push(event));
  const texts = (itemIndex = 0) =>
    seen
      .filter((event) => event.type === 'text-delta' && event.itemIndex === itemIndex)
      .map((event) => (event as { text: string }).text);
  return { sink, seen, texts };
}

const event = (body: TaskflowEventBody): TaskflowEvent => ({ ...body, timestamp: at });

describe('createRedactingEventSink', () => {
  it('redacts a secret split across deltas; no delta carries a part of it', () => {
    const { sink, texts } = setUp();
    const text = `my key is ${TOKEN}, done`;
    for (let start = 0; start < text.length; start += 5)
      sink.onEvent(delta(text.slice(start, start + 5)));
    sink.onEvent(event({ type: 'item-end', taskIndex: 0, itemIndex: 0, status: 'succeeded' }));
    expect(texts().join('')).toBe(`my key is ${REDACTED}, done`);
    for (const piece of texts()) expect(TOKEN.includes(piece) && piece.length > 3).toBe(false);
  });

  it('releases held text before the next event of the same item, and on flush', () => {
    const { sink, seen, texts } = setUp();
    sink.onEvent(delta('ends with tok4'));
    sink.onEvent(delta('other item', 1));
    expect(texts()).toEqual(['ends with ']);
    sink.onEvent(
      event({
        type: 'tool-call-start',
        taskIndex: 0,
        itemIndex: 0,
        toolbox: 't',
        tool: 'x',
        callId: 'c',
        arguments: JSON.stringify({ key: TOKEN }),
      }),
    );
    expect(texts()).toEqual(['ends with ', 'tok4']);
    expect(seen.at(-1)).toMatchObject({ arguments: `{"key":"${REDACTED}"}` });
    sink.onEvent(delta('s', 1));
    sink.flush();
    expect(texts(1)).toEqual(['other item', 's']);
  });

  it('redacts every string of other events', () => {
    const { sink, seen } = setUp();
    sink.onEvent(event({ type: 'warning', message: `bad ${TOKEN}` }));
    sink.onEvent(
      event({
        type: 'taskflow-end',
        sessionId: 's',
        status: 'failed',
        exitCode: 1,
        usage: { inputTokens: 1, outputTokens: 2 },
        durationMs: 3,
        error: `401: key ${TOKEN.slice(0, 10)}…`,
      }),
    );
    expect(seen[0]).toMatchObject({ message: `bad ${REDACTED}` });
    expect(seen[1]).toMatchObject({ error: `401: key ${REDACTED}…` });
  });
});
