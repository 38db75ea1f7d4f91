/** The reporter contract the CLI programs against (cli.md "Output"). */
import type { EventSink } from '../events.js';

export type OutputMode = 'tty' | 'plain' | 'jsonl';

export interface ReporterOptions {
  readonly mode: OutputMode;
  /** Tests pass a PassThrough or another collecting stream. */
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** False when NO_COLOR is set (the CLI decides). */
  readonly color: boolean;
  /**
   * Whether tty mode may animate a spinner: the CLI passes
   * `stdout.isTTY && columns > 0 && !CI` (ora loops forever on a 0-column TTY).
   */
  readonly spinner: boolean;
  /** Clock for plain-mode timestamps; defaults to the system clock. */
  readonly now?: () => Date;
}

export interface Reporter {
  /** The engine's event sink. Never throws. */
  readonly onEvent: EventSink;
  /**
   * Human messages outside the event stream (session id line, "Resume with: ..."):
   * stderr in jsonl mode (stdout carries only events), stdout otherwise.
   */
  info(message: string): void;
  /** A warning for the user; always stderr. */
  warn(message: string): void;
  /** Stop spinners, flush buffered text. Idempotent. */
  close(): void;
  /** Stop the spinner around an interactive question (confirm prompts). */
  pause(): void;
  /** Restart the spinner after `pause()` if something is still being waited for. */
  resume(): void;
}
