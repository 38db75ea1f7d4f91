import type { Redactor } from './redactor.js';
import { RotatingLogFile } from './rotating-log-file.js';

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  /** Flush and close the log file (bounded). */
  close(): Promise<void>;
}

export interface LoggerOptions {
  /** Folder of the rotating log file; undefined = no file. */
  readonly directory?: string;
  /** With --debug: every line also goes here (stderr). */
  readonly debugStream?: NodeJS.WritableStream;
  readonly redactor: Redactor;
  /** Size of one log file before it is rotated, also during a run (default 5 MiB). */
  readonly maxBytes?: number;
  /** Files kept, the current one included (default 3): at most keepFiles × maxBytes on disk. */
  readonly keepFiles?: number;
  /** Unwritten bytes the file may hold before lines are dropped (default 4 MiB). */
  readonly maxPendingBytes?: number;
  /** The run's session: written on every line (`session=<id>`), so one run's lines can be found. */
  readonly sessionId?: string;
}

const LOG_NAME = 'taskflow.log';
export const DEFAULT_LOG_MAX_BYTES = 5 * 1024 * 1024;
export const DEFAULT_LOG_KEEP_FILES = 3;
const DEFAULT_MAX_PENDING_BYTES = 4 * 1024 * 1024;
/** A longer message is cut: one line must never come near a file's size. */
export const MAX_LOG_MESSAGE_CHARS = 16 * 1024;
const CLOSE_TIMEOUT_MS = 1000;

export interface LogLineOptions {
  /** Default: now. */
  readonly at?: Date;
  readonly sessionId?: string;
}

/**
 * `<ISO time> <level> [session=<id> ]<message>` and a newline; a message of several lines
 * (a stack trace) repeats the prefix on each, so every line can be found by its session.
 */
export function formatLogLine(
  level: string,
  message: string,
  options: LogLineOptions = {},
): string {
  const session = options.sessionId === undefined ? '' : `session=${options.sessionId} `;
  const prefix = `${(options.at ?? new Date()).toISOString()} ${level} ${session}`;
  return message
    .replace(/\r?\n$/, '')
    .split(/\r?\n/)
    .map((line) => `${prefix}${line}\n`)
    .join('');
}

/**
 * The debug log: timestamped, redacted lines (see formatLogLine), appended to a rotating
 * file in the platform log dir (see `RotatingLogFile` for the bounds on disk and in memory).
 * Logging never throws and never blocks the run.
 */
export function createLogger(options: LoggerOptions): Logger {
  const lineOptions: LogLineOptions = { sessionId: options.sessionId };
  const file =
    options.directory === undefined
      ? undefined
      : RotatingLogFile.open(options.directory, LOG_NAME, {
          maxBytes: options.maxBytes ?? DEFAULT_LOG_MAX_BYTES,
          keepFiles: options.keepFiles ?? DEFAULT_LOG_KEEP_FILES,
          maxPendingBytes: options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES,
          formatWarning: (message) => formatLogLine('warn', message, lineOptions),
        });
  const write = (level: string, message: string) => {
    // Redact before cutting: a cut must not leave the first half of a secret behind.
    const redacted = options.redactor.redact(message);
    const cut =
      redacted.length > MAX_LOG_MESSAGE_CHARS
        ? `${redacted.slice(0, MAX_LOG_MESSAGE_CHARS)}… [${redacted.length - MAX_LOG_MESSAGE_CHARS} more characters not logged]`
        : redacted;
    const line = formatLogLine(level, cut, lineOptions);
    file?.write(line);
    options.debugStream?.write(line);
  };
  return {
    debug: (message) => write('debug', message),
    info: (message) => write('info', message),
    warn: (message) => write('warn', message),
    close: () => file?.close(CLOSE_TIMEOUT_MS) ?? Promise.resolve(),
  };
}

/** A logger that drops everything (tests, commands without a run). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  close: () => Promise.resolve(),
};
