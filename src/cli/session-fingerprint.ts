import type { DefinitionLoader } from '../definitions/definition-loader.js';
import type { LoadedTaskflow } from '../definitions/load-taskflow.js';
import { fingerprintFiles } from '../sessions/fingerprint.js';
import type { SessionFingerprint } from '../sessions/manifest.js';
import { fingerprintTasks } from '../sessions/task-fingerprints.js';

/**
 * What a session records about the definitions it runs: every file's hash, and each task's
 * definition part by part (so a resume can tell which tasks an edit touched).
 */
export function sessionFingerprint(
  loaded: LoadedTaskflow,
  loader: DefinitionLoader,
): SessionFingerprint {
  const listIncludes = (template: string): string[] => {
    try {
      return loader.options.templates.listIncludes(template);
    } catch {
      // The load already reported templates that do not parse; they include nothing here.
      return [];
    }
  };
  return { ...fingerprintFiles(loaded.files), ...fingerprintTasks(loaded, listIncludes) };
}
