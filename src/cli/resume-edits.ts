import type { DefinitionLoader } from '../definitions/definition-loader.js';
import { loadTaskflow, type LoadedTaskflow } from '../definitions/load-taskflow.js';
import { TaskflowError } from '../errors.js';
import { changedFiles, changedLoadedFiles, type ChangedFile } from '../sessions/fingerprint.js';
import { pendingTask, type ManifestTask, type SessionFingerprint } from '../sessions/manifest.js';
import { replayJournal } from '../sessions/replay.js';
import { describeTaskEdit, progressFromReplay, reviewEdits } from '../sessions/review-edits.js';
import type { Session } from '../sessions/session.js';
import { sessionFingerprint } from './session-fingerprint.js';

/**
 * What `resume` makes of edits since the run began. Sessions with per-task fingerprints
 * resume with the edited taskflow unless an edit touches work the session keeps (a finished
 * task, the item list of the fan-out in progress): that needs --force. Older sessions refuse
 * any changed file unless --force.
 */
export function checkResumeEdits(
  session: Session,
  loader: DefinitionLoader,
  force: boolean,
): CheckedEdits {
  return session.manifest.fingerprint.tasks
    ? checkTaskEdits(session, loader, force)
    : checkFileEdits(session, loader, force);
}

function describeChange(file: ChangedFile): string {
  switch (file.change) {
    case 'added':
      return `added: ${file.path} (a reference now resolves to this file)`;
    case 'unused':
      return `no longer loaded: ${file.path}`;
    default:
      return `${file.change}: ${file.path}`;
  }
}

/** The definitions to resume with, and what the comparison with the session found. */
export interface CheckedEdits {
  readonly loaded: LoadedTaskflow;
  /** Set when something changed: the session's new baseline. */
  readonly fingerprint?: SessionFingerprint;
  /** `--force` over a refused edit: unfinished tasks start afresh. */
  readonly taskGranularity: boolean;
  readonly warnings: readonly string[];
}

const FORCE_HINT = 'use --force to resume at task granularity';

function loadForResume(session: Session, loader: DefinitionLoader): LoadedTaskflow {
  const manifest = session.manifest;
  return loadTaskflow(loader, manifest.taskflow.path, {
    ...(manifest.modelConfig !== undefined && { modelConfigOverride: manifest.modelConfig }),
    // The run's globals (-g included) are the session's: they exist whatever the file says.
    providedGlobals: Object.keys(manifest.globals),
  });
}

/**
 * Sessions with per-task fingerprints: the taskflow is loaded as it is now and compared task
 * by task (review-edits.ts). Edits that would leave reused work stale (a finished task, the
 * item list of a started one) are refused with exit 78 unless --force; the others are
 * resumed with, and listed in a warning.
 */
function checkTaskEdits(session: Session, loader: DefinitionLoader, force: boolean): CheckedEdits {
  const recorded = session.manifest.fingerprint;
  // An edit that broke a file is reported by the load itself (file:line:col, exit 2).
  const loaded = loadForResume(session, loader);
  const fingerprint = sessionFingerprint(loaded, loader);
  const files = changedLoadedFiles(recorded, loaded.files);
  const review = reviewEdits(
    { tasks: recorded.tasks ?? [], ...(recorded.taskflow && { taskflow: recorded.taskflow }) },
    { tasks: fingerprint.tasks ?? [], taskflow: fingerprint.taskflow ?? {} },
    progressFromReplay(replayJournal(session.records)),
  );
  const refused = review.tasks.filter((edit) => edit.refused);
  if (refused.length > 0 && !force) {
    throw new TaskflowError(
      'session-changed',
      `session ${session.id}: the taskflow changed where the run already did work; refusing to resume (${FORCE_HINT})`,
      { details: [...refused.map(describeTaskEdit), ...files.map(describeChange)] },
    );
  }
  const warnings = [
    ...refused.map(
      (edit) => `--force: resuming at task granularity although ${describeTaskEdit(edit)}`,
    ),
    ...review.tasks
      .filter((edit) => !edit.refused)
      .map(
        (edit) =>
          `resuming with the edited taskflow: ${describeTaskEdit(edit)}${edit.progress === 'started' ? ' (its finished items are kept; unfinished items whose prompt changed start afresh)' : ''}`,
      ),
    ...review.kept.map(
      (part) =>
        `the taskflow's ${part} changed since the run began; a resumed run keeps the session's (start a new run to use it)`,
    ),
  ];
  if (files.length > 0 && review.tasks.length === 0 && review.kept.length === 0) {
    warnings.push(
      `files changed since the run began, no task's definition: ${files.map(describeChange).join('; ')}`,
    );
  }
  const changed = files.length > 0 || review.tasks.length > 0 || review.kept.length > 0;
  return {
    loaded,
    ...(changed && { fingerprint }),
    taskGranularity: refused.length > 0,
    warnings,
  };
}

/**
 * Sessions written before per-task fingerprints: any changed file refuses (exit 78, listing
 * them) unless --force, which resumes at task granularity. The session then gets per-task
 * fingerprints of what it resumes with.
 */
function checkFileEdits(session: Session, loader: DefinitionLoader, force: boolean): CheckedEdits {
  const recorded = session.manifest.fingerprint;
  const refusal = (changed: readonly ChangedFile[]) =>
    new TaskflowError(
      'session-changed',
      `session ${session.id}: ${changed.length} file(s) changed since the run began; refusing to resume (${FORCE_HINT})`,
      { details: changed.map(describeChange) },
    );
  // Content first: a changed file may no longer load at all.
  let changed = changedFiles(recorded);
  if (changed.length > 0 && !force) throw refusal(changed);
  const loaded = loadForResume(session, loader);
  // Same content, but a reference may now resolve to another file (search roots changed).
  if (changed.length === 0) changed = changedLoadedFiles(recorded, loaded.files);
  if (changed.length > 0 && !force) throw refusal(changed);
  return {
    loaded,
    fingerprint: sessionFingerprint(loaded, loader),
    taskGranularity: changed.length > 0,
    warnings: changed.map(
      (file) =>
        `--force: resuming at task granularity although a file changed (${describeChange(file)})`,
    ),
  };
}

/** The manifest's task entries for the tasks loaded now: names updated, added ones pending. */
export function syncTaskEntries(
  entries: readonly ManifestTask[],
  names: readonly string[],
): ManifestTask[] {
  return names.map((name, index) => {
    const entry = entries.find((candidate) => candidate.index === index);
    return entry ? { ...entry, name } : pendingTask(index, name);
  });
}
