import fs from 'node:fs';
import path from 'node:path';
import { TaskflowError, errorMessage } from '../errors.js';
import { CASSETTE_VERSION } from '../model/cassette.js';
import { chooseOutputMode } from '../output/index.js';
import type { RuntimeContext } from './runtime-context.js';
import { sessionRoot } from './session-root.js';

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

/**
 * The session folder of a command: an existing folder (writable when `write`) or a path
 * that can be created. A file in its place is an error naming it, not an EEXIST later.
 *
 * @throws TaskflowError 'usage' for `--session-dir`, 'config' for TASKFLOW_SESSION_DIR / the default
 */
export function checkSessionRoot(
  context: RuntimeContext,
  flag: string | undefined,
  options: { write: boolean },
): string {
  const root = sessionRoot(context, flag);
  const source = flag !== undefined ? '--session-dir' : 'session folder';
  const fail = (problem: string) =>
    new TaskflowError(flag !== undefined ? 'usage' : 'config', `${source} ${root}: ${problem}`);
  const stat = statOrUndefined(root);
  if (stat && !stat.isDirectory()) throw fail('is a file, not a folder');
  if (stat && options.write && !writable(root)) throw fail('is not writable');
  if (stat || !options.write) return root;
  // Missing: the nearest existing ancestor must be a folder we can create it in.
  let ancestor = path.dirname(root);
  let ancestorStat = statOrUndefined(ancestor);
  while (!ancestorStat && path.dirname(ancestor) !== ancestor) {
    ancestor = path.dirname(ancestor);
    ancestorStat = statOrUndefined(ancestor);
  }
  if (ancestorStat && !ancestorStat.isDirectory()) {
    throw fail(`cannot be created: ${ancestor} is a file`);
  }
  if (!writable(ancestor)) throw fail(`cannot be created: ${ancestor} is not writable`);
  return root;
}

/** The entry's stat, or undefined when it (or a folder on its path) does not exist. */
function statOrUndefined(target: string): fs.Stats | undefined {
  try {
    return fs.statSync(target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new TaskflowError('usage', `cannot access ${target}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}

function absolute(context: RuntimeContext, file: string): string {
  return path.resolve(context.workingDirectory, file);
}

function writable(target: string): boolean {
  try {
    fs.accessSync(target, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
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
