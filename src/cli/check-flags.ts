import fs from 'node:fs';
import path from 'node:path';
import { TaskflowError, errorMessage } from '../errors.js';
import { CASSETTE_VERSION } from '../model/cassette.js';
import { chooseOutputMode } from '../output/index.js';
import { statOrUndefined, writable } from './path-checks.js';
import type { RuntimeContext } from './runtime-context.js';
import { checkSessionRoot } from './session-root.js';

/** The flags of the running commands that name files, folders or modes. */
export interface RunningFlags {
  readonly output?: string;
  readonly record?: string;
  readonly replay?: string;
  readonly sessionDir?: string;
}

/** The flags after checking: cassette paths made absolute (the run may change folders). */
export interface CheckedFlags {
  readonly output?: string;
  readonly record?: string;
  readonly replay?: string;
}

/**
 * Checks the flags of run/resume/ask before anything starts (no session, no log, no
 * request): `--output` is a known mode, `--record` can be written, `--replay` is a readable
 * cassette, the session folder is a folder or can be made one.
 *
 * @throws TaskflowError 'usage' (exit 2) naming the flag and the path; 'config' (exit 78)
 *   for a session folder given by TASKFLOW_SESSION_DIR
 */
export function checkRunningFlags(
  context: RuntimeContext,
  flags: RunningFlags,
  options: { sessions: boolean },
): CheckedFlags {
  if (flags.output !== undefined) chooseOutputMode(flags.output, { stdoutIsTty: false, ci: false });
  if (flags.record !== undefined && flags.replay !== undefined) {
    throw new TaskflowError('usage', '--record and --replay cannot be used together');
  }
  const record =
    flags.record === undefined ? undefined : checkRecordFile(absolute(context, flags.record));
  const replay =
    flags.replay === undefined ? undefined : checkReplayFile(absolute(context, flags.replay));
  if (options.sessions) checkSessionRoot(context, flags.sessionDir, { write: true });
  return {
    ...(flags.output !== undefined && { output: flags.output }),
    ...(record !== undefined && { record }),
    ...(replay !== undefined && { replay }),
  };
}

function absolute(context: RuntimeContext, file: string): string {
  return path.resolve(context.workingDirectory, file);
}

/** `--record`: an existing file we may append to, or a new file in a writable folder. */
function checkRecordFile(file: string): string {
  const fail = (problem: string) => new TaskflowError('usage', `--record ${file}: ${problem}`);
  const stat = statOrUndefined(file);
  if (stat?.isDirectory()) throw fail('is a folder, not a file');
  if (stat && !writable(file)) throw fail('is not writable');
  if (stat) return file;
  const folder = path.dirname(file);
  const folderStat = statOrUndefined(folder);
  if (!folderStat) throw fail(`folder ${folder} does not exist`);
  if (!folderStat.isDirectory()) throw fail(`${folder} is not a folder`);
  if (!writable(folder)) throw fail(`folder ${folder} is not writable`);
  return file;
}

/** How much of a cassette is read to find its first line. */
const FIRST_LINE_LIMIT = 16 * 1024 * 1024;

/** `--replay`: a readable file whose first line is a cassette entry of a known version. */
function checkReplayFile(file: string): string {
  const fail = (problem: string) => new TaskflowError('usage', `--replay ${file}: ${problem}`);
  const stat = statOrUndefined(file);
  if (!stat) throw fail('no such file');
  if (stat.isDirectory()) throw fail('is a folder, not a cassette');
  let line: string;
  try {
    line = firstLine(file);
  } catch (error) {
    throw fail(`cannot read it (${errorMessage(error)})`);
  }
  if (line.trim() === '') throw fail('is empty, not a cassette (record one with --record)');
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    throw fail('line 1 is not JSON: not a cassette (record one with --record)');
  }
  const fields = (entry ?? {}) as Record<string, unknown>;
  if (
    typeof fields.key !== 'string' ||
    typeof fields.request !== 'object' ||
    typeof fields.response !== 'object'
  ) {
    throw fail('line 1 is not a cassette entry (record one with --record)');
  }
  if (fields.version !== CASSETTE_VERSION) {
    throw fail(
      `unsupported cassette version ${JSON.stringify(fields.version)} (expected ${CASSETTE_VERSION})`,
    );
  }
  return file;
}

/** The file's first line (up to FIRST_LINE_LIMIT bytes), read without loading the rest. */
function firstLine(file: string): string {
  const fd = fs.openSync(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    const buffer = Buffer.alloc(64 * 1024);
    while (total < FIRST_LINE_LIMIT) {
      const read = fs.readSync(fd, buffer, 0, buffer.length, total);
      if (read === 0) break;
      const chunk = buffer.subarray(0, read);
      const newline = chunk.indexOf(0x0a);
      chunks.push(Buffer.from(newline === -1 ? chunk : chunk.subarray(0, newline)));
      total += read;
      if (newline !== -1) break;
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}
