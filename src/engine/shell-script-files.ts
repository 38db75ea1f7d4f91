/**
 * The script files of shell tasks still running. A task removes its own file when it ends;
 * when the runner exits first (a second Ctrl-C exits at once), the CLI's 'exit' handler
 * calls `removeLeftoverScriptFiles()` so no script — which may quote secrets — stays in the
 * temp dir. Only node:fs here: the CLI loads this module eagerly.
 */
import { rmSync } from 'node:fs';

const liveScriptFiles = new Set<string>();

/** Records a script file until `forgetScriptFile`. */
export function trackScriptFile(filePath: string): void {
  liveScriptFiles.add(filePath);
}

export function forgetScriptFile(filePath: string): void {
  liveScriptFiles.delete(filePath);
}

/** Snapshot, for tests and diagnostics. */
export function trackedScriptFiles(): string[] {
  return [...liveScriptFiles];
}

/** Removes every tracked file, synchronously (safe in an 'exit' handler); never throws. */
export function removeLeftoverScriptFiles(): void {
  for (const filePath of liveScriptFiles) {
    try {
      rmSync(filePath, { force: true });
    } catch {
      // exiting anyway: nothing better to do with a file that cannot be removed
    }
  }
  liveScriptFiles.clear();
}
