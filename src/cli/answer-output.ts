import type { EventSink } from '../events.js';
import { sanitizeText, type Reporter } from '../output/index.js';

/** `ask`'s output: the answer on stdout, everything else through a reporter on stderr. */
export interface AnswerOutput {
  /** Shows every event but the model's text (and messages, warnings) through `shown`. */
  readonly reporter: Reporter;
  /** The agent finished with `finalText` (already redacted): prints what was not streamed. */
  finish(finalText: string): void;
}

/**
 * Split `ask`'s output so scripts can use stdout as the answer. The reporter `shown` must
 * write to stderr; it never sees the model's text. With `live` (stdout is a terminal) the
 * text is streamed to stdout as it arrives, the reporter's spinner paused meanwhile;
 * otherwise stdout gets only the final answer, once, with a closing newline.
 */
export function answerOutput(
  shown: Reporter,
  stdout: NodeJS.WritableStream,
  options: { live: boolean },
): AnswerOutput {
  let streaming = false;
  let atLineStart = true;
  /** Back to the reporter: close the partial answer line, let the spinner run again. */
  const endStream = (): void => {
    if (!streaming) return;
    streaming = false;
    if (!atLineStart) stdout.write('\n');
    atLineStart = true;
    shown.resume();
  };
  const onEvent: EventSink = (event) => {
    if (event.type !== 'text-delta') {
      endStream();
      shown.onEvent(event);
      return;
    }
    if (!options.live) return;
    const text = sanitizeText(event.text);
    if (text === '') return;
    if (!streaming) {
      shown.pause();
      streaming = true;
    }
    stdout.write(text);
    atLineStart = text.endsWith('\n');
  };
  return {
    reporter: {
      onEvent,
      info: (message) => {
        endStream();
        shown.info(message);
      },
      warn: (message) => {
        endStream();
        shown.warn(message);
      },
      close: () => {
        endStream();
        shown.close();
      },
      pause: () => {
        endStream();
        shown.pause();
      },
      resume: () => shown.resume(),
    },
    finish: (finalText) => {
      endStream();
      if (options.live || finalText === '') return;
      stdout.write(finalText.endsWith('\n') ? finalText : `${finalText}\n`);
    },
  };
}
