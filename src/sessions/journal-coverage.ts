import { TaskflowError } from '../errors.js';
import type { Manifest } from './manifest.js';
import type { JournalContents } from './read-journal.js';
import { replayJournal, type ReplayState } from './replay.js';

/** What a manifest says was done, in the units both files record. */
interface Progress {
  readonly finishedTasks: number;
  readonly runningTasks: number;
  readonly finishedItems: number;
  /** The highest journal `seq` the manifest saw (absent in manifests written before it existed). */
  readonly journalSeq?: number;
}

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

function manifestProgress(manifest: Manifest): Progress {
  let finishedTasks = 0;
  let runningTasks = 0;
  let finishedItems = 0;
  for (const task of manifest.tasks) {
    if (task.status === 'running') runningTasks++;
    else if (task.status !== 'pending') finishedTasks++;
    finishedItems += (task.items?.succeeded ?? 0) + (task.items?.failed ?? 0);
  }
  return {
    finishedTasks,
    runningTasks,
    finishedItems,
    ...(manifest.journalSeq !== undefined && { journalSeq: manifest.journalSeq }),
  };
}

function journalProgress(journal: JournalContents, replay: ReplayState): Progress {
  let finishedTasks = 0;
  let finishedItems = 0;
  for (const task of replay.tasks.values()) {
    if (task.status !== 'running') finishedTasks++;
    for (const item of task.itemStates.values()) if (item.status !== undefined) finishedItems++;
  }
  return {
    finishedTasks,
    runningTasks: replay.tasks.size - finishedTasks,
    finishedItems,
    journalSeq: journal.lastSeq,
  };
}

/**
 * Why a journal cannot be the record of the work its manifest describes, or undefined.
 *
 * The manifest is only ever written after the journal records it counts were appended
 * and synced (Session.updateManifest), so a journal that holds fewer records, finished
 * tasks or finished items than the manifest lost them after the fact (emptied, cut
 * short, replaced). A torn final line is not such a loss: the record being appended when
 * a process died was never counted by a manifest. `replay`: the journal's records replayed,
 * when the caller has them already.
 */
export function journalShortfall(
  manifest: Manifest,
  journal: JournalContents,
  journalPath: string,
  replay: ReplayState = replayJournal(journal.records),
): string | undefined {
  const claimed = manifestProgress(manifest);
  const held = journalProgress(journal, replay);
  const short =
    (claimed.journalSeq ?? 0) > (held.journalSeq ?? 0) ||
    claimed.finishedTasks > held.finishedTasks ||
    claimed.finishedTasks + claimed.runningTasks > held.finishedTasks + held.runningTasks ||
    claimed.finishedItems > held.finishedItems;
  if (!short) return undefined;
  const facts = [
    ...(claimed.finishedTasks > 0 ? [plural(claimed.finishedTasks, 'finished task')] : []),
    ...(claimed.runningTasks > 0 ? [`${plural(claimed.runningTasks, 'task')} in progress`] : []),
    ...(claimed.finishedItems > 0 ? [plural(claimed.finishedItems, 'finished item')] : []),
    ...(claimed.journalSeq !== undefined ? [plural(claimed.journalSeq, 'journal record')] : []),
  ];
  const said =
    facts.length > 1 ? `${facts.slice(0, -1).join(', ')} and ${facts.at(-1)}` : (facts[0] ?? '');
  return `${journalPath} has ${plural(journal.records.length, 'record')} but the manifest records ${said}`;
}

/**
 * Refuses a session whose journal is shorter than its manifest (see journalShortfall):
 * resuming it would redo the lost work, side effects included.
 *
 * @throws TaskflowError 'session' naming the journal and what the manifest records
 */
export function assertJournalCoversManifest(
  manifest: Manifest,
  journal: JournalContents,
  journalPath: string,
  replay?: ReplayState,
): void {
  const shortfall = journalShortfall(manifest, journal, journalPath, replay);
  if (shortfall === undefined) return;
  throw new TaskflowError(
    'session',
    `${shortfall}; refusing to resume (it would redo their work)`,
    {
      filePath: journalPath,
    },
  );
}
