import path from 'node:path';
import envPaths from 'env-paths';
import type { RuntimeContext } from './runtime-context.js';

/** `--session-dir`, else `$TASKFLOW_SESSION_DIR`, else the platform data dir + `/sessions`. */
export function sessionRoot(context: RuntimeContext, flag: string | undefined): string {
  const chosen = flag ?? context.environment.TASKFLOW_SESSION_DIR;
  if (chosen !== undefined && chosen !== '') return path.resolve(context.workingDirectory, chosen);
  return path.join(envPaths('taskflow', { suffix: '' }).data, 'sessions');
}
