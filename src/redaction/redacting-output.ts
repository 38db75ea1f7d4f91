import { Writable } from 'node:stream';
import type { Reporter } from '../output/reporter.js';
import type { Redactor } from '../redactor.js';
import { createRedactingEventSink } from './redacting-event-sink.js';

/**
 * The reporter with every event and message redacted first (see
 * `createRedactingEventSink`); `close()` delivers held-back model text before closing.
 */
export function redactingReporter(reporter: Reporter, redactor: Redactor): Reporter {
  const events = createRedactingEventSink(redactor, reporter.onEvent);
  return {
    onEvent: events.onEvent,
    info: (message) => reporter.info(redactor.redact(message)),
    warn: (message) => reporter.warn(redactor.redact(message)),
    close: () => {
      events.flush();
      reporter.close();
    },
    pause: () => reporter.pause(),
    resume: () => reporter.resume(),
  };
}

/**
 * A stream that redacts each chunk and writes it to `target`, for whole messages (error
 * reports, stack traces); streamed text goes through the reporter instead.
 */
export function redactingStream(
  target: NodeJS.WritableStream,
  redactor: Redactor,
): NodeJS.WritableStream {
  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, callback) {
      target.write(redactor.redact(typeof chunk === 'string' ? chunk : chunk.toString('utf8')));
      callback();
    },
  });
}
