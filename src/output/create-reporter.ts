import { errorMessage } from '../errors.js';
import type { EventSink } from '../events.js';
import { createJsonlReporter } from './jsonl-reporter.js';
import { createPlainReporter } from './plain-reporter.js';
import type { Reporter, ReporterOptions } from './reporter.js';

/**
 * The reporter for `options.mode`. Its `onEvent` never throws (the EventSink contract):
 * a rendering failure is reported once on stderr and the run goes on. tty mode's code (ora,
 * string-width) loads only when that mode is chosen: CI and piped runs never pay for it.
 */
export async function createReporter(options: ReporterOptions): Promise<Reporter> {
  const reporter = await createFor(options);
  let reportedFailure = false;
  const onEvent: EventSink = (event) => {
    try {
      reporter.onEvent(event);
    } catch (error) {
      if (reportedFailure) return;
      reportedFailure = true;
      options.stderr.write(
        `taskflow: cannot render a ${event.type} event: ${errorMessage(error)}\n`,
      );
    }
  };
  return {
    onEvent,
    info: (message) => reporter.info(message),
    warn: (message) => reporter.warn(message),
    close: () => reporter.close(),
    pause: () => reporter.pause(),
    resume: () => reporter.resume(),
  };
}

async function createFor(options: ReporterOptions): Promise<Reporter> {
  switch (options.mode) {
    case 'jsonl':
      return createJsonlReporter(options);
    case 'plain':
      return createPlainReporter(options);
    case 'tty': {
      const { createTtyReporter } = await import('./tty-reporter.js');
      return createTtyReporter(options);
    }
  }
}
