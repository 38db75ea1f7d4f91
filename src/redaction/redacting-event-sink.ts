import type { EventSink, TaskflowEvent } from '../events.js';
import type { Redactor } from '../redactor.js';

export interface RedactingEventSink {
  readonly onEvent: EventSink;
  /** Delivers the text still held back (the run ended). */
  flush(): void;
}

type TextDelta = Extract<TaskflowEvent, { type: 'text-delta' }>;

/**
 * The one place events are redacted before any reporter or summary sees them: every
 * string of an event (messages, tool arguments, result previews, errors) goes through
 * the redactor. Model text arrives in deltas that can split a secret, so each stream
 * (task, item, agent) holds back an end that could begin a secret until the next delta
 * shows whether it does; the held text is delivered before the next other event of the
 * same item, and on `flush()`.
 */
export function createRedactingEventSink(redactor: Redactor, sink: EventSink): RedactingEventSink {
  /** Held-back text per stream, with the delta it came with (for its fields). */
  const held = new Map<string, { text: string; event: TextDelta }>();

  const release = (matches: (event: TextDelta) => boolean): void => {
    for (const [key, entry] of held) {
      if (!matches(entry.event)) continue;
      held.delete(key);
      // Stream over: what is held is no secret's beginning after all, or is the end of text.
      sink({ ...entry.event, text: redactor.redact(entry.text) });
    }
  };

  const onText = (event: TextDelta): void => {
    const key = `${event.taskIndex}.${event.itemIndex}.${event.agent}`;
    const text = redactor.redact(`${held.get(key)?.text ?? ''}${event.text}`);
    const open = redactor.openSecretLength(text);
    if (open > 0) held.set(key, { text: text.slice(text.length - open), event });
    else held.delete(key);
    const ready = text.slice(0, text.length - open);
    if (ready !== '') sink({ ...event, text: ready });
  };

  const onEvent: EventSink = (event) => {
    if (event.type === 'text-delta') {
      onText(event);
      return;
    }
    if (held.size > 0) {
      if (event.type === 'taskflow-end') release(() => true);
      else if ('taskIndex' in event && event.taskIndex !== undefined) {
        const itemIndex = 'itemIndex' in event ? event.itemIndex : undefined;
        release(
          (delta) =>
            delta.taskIndex === event.taskIndex &&
            (itemIndex === undefined || delta.itemIndex === itemIndex),
        );
      }
    }
    sink(redactor.redactValue(event));
  };

  return { onEvent, flush: () => release(() => true) };
}
