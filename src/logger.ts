import fs from 'node:fs';
import path from 'node:path';
import type { Redactor } from './redactor.js';

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
  readonly maxBytes?: number;
  readonly keepFiles?: number;
}

const LOG_NAME = 'taskflow.log';

/** Shift taskflow.log -> .1 -> .2 ... when it grew past maxBytes. */
function rotate(directory: string, maxBytes: number, keepFiles: number): void {
  const file = path.join(directory, LOG_NAME);
  try {
    if (fs.statSync(file).size < maxBytes) return;
  } catch {
    return;
  }
  for (let index = keepFiles - 1; index >= 1; index--) {
    const from = index === 1 ? file : `${file}.${index - 1}`;
    try {
      fs.renameSync(from, `${file}.${index}`);
    } catch {
      // a missing generation is fine
    }
  }
}

/**
 * The debug log: one timestamped, redacted line per message, appended to a rotating file
 * in the platform log dir. Logging never throws and never blocks the run.
 */
export function createLogger(options: LoggerOptions): Logger {
  let stream: fs.WriteStream | undefined;
  if (options.directory) {
    try {
      fs.mkdirSync(options.directory, { recursive: true });
      rotate(options.directory, options.maxBytes ?? 5 * 1024 * 1024, options.keepFiles ?? 3);
      stream = fs.createWriteStream(path.join(options.directory, LOG_NAME), { flags: 'a' });
      stream.on('error', () => {
        stream = undefined;
      });
    } catch {
      stream = undefined;
    }
  }
  const write = (level: string, message: string) => {
    const line = `${new Date().toISOString()} ${level} ${options.redactor.redact(message)}\n`;
    stream?.write(line);
    options.debugStream?.write(line);
  };
  return {
    debug: (message) => write('debug', message),
    info: (message) => write('info', message),
    warn: (message) => write('warn', message),
    close: () =>
      new Promise<void>((resolve) => {
        if (!stream) return resolve();
        const timer = setTimeout(resolve, 1000);
        stream.end(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

/** A logger that drops everything (tests, commands without a run). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  close: () => Promise.resolve(),
};
