import { appendFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** One diagnostic line of a bundled server. */
export type ServerLog = (level: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR', message: string) => void;

/**
 * The log of a bundled server executable. Lines above DEBUG go to stderr (the runner keeps
 * them in its own log and quotes the last ones when the server fails). When `LOG_DIR` is
 * set, as seclab's toolbox files pass it, every line is also appended to
 * `$LOG_DIR/mcp_<server>.log`, the file seclab's server of that name writes, in its
 * `time - LEVEL - message` layout. A log that cannot be written never stops the server.
 */
export function createServerLog(
  server: string,
  environment: Readonly<Record<string, string | undefined>>,
  writeStderr: (text: string) => void,
  now: () => Date = () => new Date(),
): ServerLog {
  const logDirectory = environment.LOG_DIR?.trim() ? resolve(environment.LOG_DIR) : undefined;
  let fileFailed = false;
  return (level, message) => {
    if (level !== 'DEBUG') writeStderr(`${message}\n`);
    if (logDirectory === undefined || fileFailed) return;
    try {
      mkdirSync(logDirectory, { recursive: true, mode: 0o700 });
      appendFileSync(
        join(logDirectory, `mcp_${server}.log`),
        `${now().toISOString()} - ${level} - ${message}\n`,
        { mode: 0o600 },
      );
    } catch (error) {
      fileFailed = true;
      writeStderr(`cannot write to LOG_DIR ${logDirectory}: ${String(error)}\n`);
    }
  };
}
