import fs from 'node:fs';
import { TaskflowError, errorMessage } from '../errors.js';

/** Probes of the files and folders that flags name (check-flags.ts, session-root.ts). */

/** The entry's stat, or undefined when it (or a folder on its path) does not exist. */
export function statOrUndefined(target: string): fs.Stats | undefined {
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

export function writable(target: string): boolean {
  try {
    fs.accessSync(target, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
