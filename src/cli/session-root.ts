import path from 'node:path';
import envPaths from 'env-paths';
import { TaskflowError } from '../errors.js';
import { statOrUndefined, writable } from './path-checks.js';
import type { RuntimeContext } from './runtime-context.js';

/** `--session-dir`, else `$TASKFLOW_SESSION_DIR`, else the platform data dir + `/sessions`. */
export function sessionRoot(context: RuntimeContext, flag: string | undefined): string {
  const chosen = flag ?? context.environment.TASKFLOW_SESSION_DIR;
  if (chosen !== undefined && chosen !== '') return path.resolve(context.workingDirectory, chosen);
  return path.join(envPaths('taskflow', { suffix: '' }).data, 'sessions');
}

/**
 * The session folder of a command: an existing folder (writable when `write`) or a path
 * that can be created. A file in its place is an error naming it, not an EEXIST later.
 * (Here rather than in check-flags.ts: the sessions commands need it without the output
 * and model modules that the flags of the running commands are checked against.)
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
