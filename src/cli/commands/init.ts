import fs from 'node:fs';
import path from 'node:path';
import { TaskflowError, errorMessage } from '../../errors.js';
import { EXIT } from '../exit-codes.js';
import { statOrUndefined } from '../path-checks.js';
import type { RuntimeContext } from '../runtime-context.js';

/**
 * The starter project `taskflow init` copies: a taskflow, a personality, a toolbox and a
 * cassette that answers the taskflow offline (re-recorded by scripts/record-echo-cassette.mjs).
 */
export const STARTER_FOLDER = path.join('examples', 'starter');
const STARTER_TASKFLOW = 'taskflows.hello';
const STARTER_CASSETTE = 'cassettes/hello.jsonl';

/** Files below `root`, as sorted relative paths with `/` separators. */
function listFiles(root: string, prefix = ''): string[] {
  return fs
    .readdirSync(path.join(root, prefix), { withFileTypes: true })
    .flatMap((entry) => {
      const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      return entry.isDirectory() ? listFiles(root, relative) : [relative];
    })
    .sort();
}

/** `path` as the user would type it: relative to the working directory when inside it. */
function shown(context: RuntimeContext, target: string): string {
  const relative = path.relative(context.workingDirectory, target);
  return relative === '' ? '.' : relative.startsWith('..') ? target : relative;
}

/** Quoted for a POSIX shell when it holds anything but plain path characters. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** True when something (even a dangling symbolic link) is at `target`. */
function occupied(target: string): boolean {
  try {
    fs.lstatSync(target);
    return true;
  } catch {
    return false;
  }
}

/**
 * `taskflow init [dir]`: copies the starter project into `dir` (default: the working
 * directory, created when missing) and prints what to run next. Nothing is overwritten:
 * when any file of the starter already exists, nothing is written.
 *
 * @throws TaskflowError 'usage' when `dir` is not a directory or a starter file exists
 *   there; 'io' when a file cannot be written
 */
export function initCommand(context: RuntimeContext, directory: string | undefined): number {
  const target = path.resolve(context.workingDirectory, directory ?? '.');
  const stat = statOrUndefined(target);
  if (stat !== undefined && !stat.isDirectory()) {
    throw new TaskflowError('usage', `init: ${shown(context, target)} is not a directory`);
  }
  const starter = path.join(context.bundleRoot, STARTER_FOLDER);
  const files = listFiles(starter);
  const existing = files.filter((file) => occupied(path.join(target, file)));
  if (existing.length > 0) {
    const [first] = existing as [string];
    const more = existing.length > 1 ? ` (and ${existing.length - 1} more starter files)` : '';
    throw new TaskflowError(
      'usage',
      `init: ${shown(context, path.join(target, first))} already exists${more}; nothing was written (choose an empty directory: taskflow init <dir>)`,
    );
  }
  for (const file of files) {
    const destination = path.join(target, file);
    try {
      fs.mkdirSync(path.dirname(destination), { recursive: true });
      // COPYFILE_EXCL: a file that appeared since the check above is still not overwritten.
      fs.copyFileSync(path.join(starter, file), destination, fs.constants.COPYFILE_EXCL);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new TaskflowError(
        code === 'EEXIST' ? 'usage' : 'io',
        `init: cannot write ${shown(context, destination)}: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    context.stdout.write(`created ${shown(context, destination)}\n`);
  }
  const where = shown(context, target);
  context.stdout.write(
    [
      '',
      'Next:',
      ...(where === '.' ? [] : [`  cd ${shellWord(where)}`]),
      `  taskflow validate ${STARTER_TASKFLOW}`,
      `  taskflow run ${STARTER_TASKFLOW} --replay ${STARTER_CASSETTE}   # offline: recorded answers`,
      `  taskflow run ${STARTER_TASKFLOW}   # a real model: set AI_API_TOKEN (or AI_API_ENDPOINT) first`,
      '',
    ].join('\n'),
  );
  return EXIT.ok;
}
