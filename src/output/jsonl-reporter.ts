import type { EventSink } from '../events.js';
import type { Reporter, ReporterOptions } from './reporter.js';

/**
 * `--output jsonl`: one `JSON.stringify(event)` per line on stdout and nothing else there;
 * human messages go to stderr. Nothing is buffered, so close/pause/resume have no work.
 */
export function createJsonlReporter(options: Pick<ReporterOptions, 'stdout' | 'stderr'>): Reporter {
  const { stdout, stderr } = options;
  const onEvent: EventSink = (event) => {
    // JSON.stringify escapes newlines inside strings, so one event is always one line.
    stdout.write(`${JSON.stringify(event)}\n`);
  };
  return {
    onEvent,
    info: (message) => {
      stderr.write(`${message}\n`);
    },
    warn: (message) => {
      stderr.write(`warning: ${message}\n`);
    },
    close: () => {},
    pause: () => {},
    resume: () => {},
  };
}
