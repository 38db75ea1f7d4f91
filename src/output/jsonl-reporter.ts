import type { EventSink } from '../events.js';
import { CoalescingWriter } from './coalescing-writer.js';
import type { Reporter, ReporterOptions } from './reporter.js';

/**
 * `--output jsonl`: one `JSON.stringify(event)` per line on stdout and nothing else there;
 * human messages go to stderr. Lines written in one event-loop turn reach stdout as one
 * write; `close()` flushes.
 */
export function createJsonlReporter(options: Pick<ReporterOptions, 'stdout' | 'stderr'>): Reporter {
  const { stderr } = options;
  const stdout = new CoalescingWriter(options.stdout);
  const onEvent: EventSink = (event) => {
    // JSON.stringify escapes newlines inside strings, so one event is always one line.
    stdout.write(`${JSON.stringify(event)}\n`);
  };
  const human = (line: string): void => {
    stdout.flush();
    stderr.write(`${line}\n`);
  };
  return {
    onEvent,
    info: (message) => human(message),
    warn: (message) => human(`warning: ${message}`),
    close: () => stdout.flush(),
    pause: () => stdout.flush(),
    resume: () => {},
  };
}
