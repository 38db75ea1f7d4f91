import fs from 'node:fs';
import path from 'node:path';
import { TaskflowError } from '../errors.js';
import { addUsage, ZERO_USAGE } from '../model/types.js';
import { writeFileAtomic } from './atomic-write.js';
import type { JournalRecord, JournalRecordInput } from './journal-records.js';
import type { Manifest } from './manifest.js';
import {
  branchRecords,
  canonicalJson,
  mergeBranch,
  recordIdentity,
} from './merge-branch-records.js';
import { itemUsage, replayJournal, type TaskReplay } from './replay.js';
import type { Session } from './session.js';
import { shardLabel } from './shard-runs.js';
import { readTaskResult } from './task-result-file.js';

/** A copy of the session a shard ran in (read without its lock). */
export interface ShardCopy {
  /** As the user named it (for messages). */
  readonly shown: string;
  /** The copy's session folder. */
  readonly folder: string;
  readonly manifest: Manifest;
  readonly records: readonly JournalRecord[];
}

/** What merging one copy brought. */
export interface CopyMerge {
  readonly shown: string;
  /** The shards (`K/N`) the copy ran of the task. */
  readonly shards: readonly string[];
  /** Ordinals that gained records, and those of them finished in the copy. */
  readonly branches: readonly number[];
  readonly finished: readonly number[];
  /** Branches both ran differently; the session's records were kept. */
  readonly kept: readonly number[];
  /** How many records it brought (0: nothing new). */
  readonly records: number;
}

export interface ShardMergePlan {
  /** The fan-out task merged into (the session's first unfinished task). */
  readonly task: number;
  readonly copies: readonly CopyMerge[];
  /** Per copy that brought anything: its records to append in order, then its marker. */
  readonly batches: readonly MergeBatch[];
}

interface MergeBatch {
  readonly folder: string;
  readonly records: readonly JournalRecord[];
  readonly marker: JournalRecordInput;
}

/**
 * Plans folding shard copies into a session (scale-out.md "Shards"): for the session's
 * fan-out in progress, the branch records each copy holds and the session lacks, and the
 * copies' shard records. Checks everything before anything is written.
 *
 * @throws TaskflowError 'session' — one line starting `refusing to merge <copy>:` — for a
 *   copy of another session, with another fingerprint, another branch list, or another
 *   result for a branch the session (or an earlier copy) finished
 */
export function planShardMerge(
  session: {
    readonly id: string;
    readonly dir: string;
    readonly manifest: Manifest;
    readonly records: readonly JournalRecord[];
  },
  task: number,
  copies: readonly ShardCopy[],
): ShardMergePlan {
  const taskName = session.manifest.tasks.find((entry) => entry.index === task)?.name ?? '';
  const taskLabel = `task ${task + 1} "${taskName}"`;
  const planned = replayJournal(session.records).tasks.get(task);
  if (!planned || planned.status === 'succeeded' || planned.status === 'skipped') {
    throw new TaskflowError(
      'session',
      `session ${session.id} has no fan-out in progress at ${taskLabel}; plan it with: taskflow resume ${session.id} --until-fanout`,
    );
  }
  const view: JournalRecord[] = [...session.records];
  const folderOf = new Map<JournalRecord, string>();
  const batches: MergeBatch[] = [];
  const merges: CopyMerge[] = [];
  for (const copy of copies) {
    const refuse = (reason: string) =>
      new TaskflowError('session', `refusing to merge ${copy.shown}: ${reason}`);
    if (copy.manifest.id !== session.id) {
      throw refuse(`it holds another session (${copy.manifest.id}, not ${session.id})`);
    }
    if (copy.manifest.fingerprint.digest !== session.manifest.fingerprint.digest) {
      throw refuse(
        'another fingerprint (it ran with taskflow files other than the session has now)',
      );
    }
    const theirs = replayJournal(copy.records).tasks.get(task);
    if (!theirs) throw refuse(`another branch list (it has not planned ${taskLabel})`);
    if (branchList(theirs) !== branchList(planned)) {
      const counts =
        theirs.itemCount === planned.itemCount
          ? 'other items or models'
          : `${theirs.itemCount} branches there, ${planned.itemCount} in the session`;
      throw refuse(`another branch list for ${taskLabel} (${counts})`);
    }
    const known = new Set(view.map(recordIdentity));
    const mine = branchRecords(view, task);
    const chosen = new Set<JournalRecord>();
    const branches: number[] = [];
    const finished: number[] = [];
    const kept: number[] = [];
    for (const [ordinal, records] of branchRecords(copy.records, task)) {
      const held = mine.get(ordinal) ?? [];
      // A result merged from an earlier copy of this command is still in that copy's folder.
      const heldEnd = held.findLast((record) => record.type === 'item-end');
      const heldFolder = (heldEnd && folderOf.get(heldEnd)) ?? session.dir;
      const merge = mergeBranch(
        held,
        records,
        (side, item) => readTaskResult(side === 'copy' ? copy.folder : heldFolder, item),
        { task, ordinal },
      );
      if (merge.kind === 'conflict') {
        throw refuse(
          `branch ${ordinal + 1} of ${taskLabel} has another result there than in the session`,
        );
      }
      if (merge.kind === 'kept') kept.push(ordinal);
      if (merge.kind !== 'append') continue;
      for (const record of merge.records) chosen.add(record);
      branches.push(ordinal);
      if (merge.records.some((record) => record.type === 'item-end')) finished.push(ordinal);
    }
    const shards = new Set<string>();
    for (const record of copy.records) {
      if (record.type !== 'shard-start' && record.type !== 'shard-end') continue;
      if (record.task !== task) continue;
      shards.add(shardLabel(record));
      if (!known.has(recordIdentity(record))) chosen.add(record);
    }
    const ordered = copy.records.filter((record) => chosen.has(record));
    for (const record of ordered) {
      view.push(record);
      folderOf.set(record, copy.folder);
    }
    // A merge cut short after its records but before its marker gets the marker now.
    const unmarked = [...shards].some((label) => !mergedShards(view, task).has(label));
    if (ordered.length > 0 || unmarked) {
      const marker: JournalRecordInput = {
        type: 'shard-merge',
        task,
        from: path.resolve(copy.folder),
        shards: [...shards],
        branches,
      };
      batches.push({ folder: copy.folder, records: ordered, marker });
      view.push({ ...marker, seq: 0, at: '' });
    }
    merges.push({
      shown: copy.shown,
      shards: [...shards],
      branches,
      finished,
      kept,
      records: ordered.length,
    });
  }
  return { task, copies: merges, batches };
}

/**
 * Appends a plan to the open session: result side files first (so no record points at a
 * missing file), then the records (each keeping its time), then the markers; finally the
 * manifest's counters of the task, its shards and the status are recomputed from the
 * journal. A plan with nothing to append writes nothing.
 */
export function applyShardMerge(session: Session, plan: ShardMergePlan): void {
  if (plan.batches.length === 0) return;
  for (const batch of plan.batches) {
    for (const record of batch.records) {
      if (record.type !== 'item-end' || record.resultFile === undefined) continue;
      copyResultFile(batch.folder, session.dir, record.resultFile);
    }
  }
  const appended: JournalRecord[] = [];
  for (const batch of plan.batches) {
    for (const record of batch.records) {
      const { seq: _seq, at, ...input } = record;
      appended.push(session.journal.append(input, { at }));
    }
    appended.push(session.journal.append(batch.marker));
  }
  session.journal.sync();
  const replay = replayJournal([...session.records, ...appended]);
  const waited = appended.reduce(
    (sum, record) =>
      record.type === 'shard-end'
        ? { waitMs: sum.waitMs + record.waitMs, pacedMs: sum.pacedMs + (record.pacedMs ?? 0) }
        : sum,
    { waitMs: 0, pacedMs: 0 },
  );
  session.updateManifest((manifest) => {
    const replayed = replay.tasks.get(plan.task);
    const entry = manifest.tasks.find((task) => task.index === plan.task);
    if (replayed && entry) foldCounters(entry, replayed, waited);
    manifest.shards = replay.shards;
    if (manifest.status === 'planned') manifest.status = 'sharded';
  });
}

/** The task's counters as its journal holds them, plus the waiting the shards reported. */
function foldCounters(
  entry: Manifest['tasks'][number],
  task: TaskReplay,
  waited: { waitMs: number; pacedMs: number },
): void {
  const items = [...task.itemStates.values()];
  entry.usage = items.map(itemUsage).reduce(addUsage, ZERO_USAGE);
  entry.requests = task.requests;
  entry.retries = { ...task.retries };
  entry.waitMs += waited.waitMs;
  if (waited.pacedMs > 0) entry.pacedMs = (entry.pacedMs ?? 0) + waited.pacedMs;
  entry.items = {
    total: task.itemCount,
    succeeded: items.filter((item) => item.status === 'succeeded').length,
    failed: items.filter((item) => item.status === 'failed').length,
  };
}

/** The shards (`K/N`) of a task that `shard-merge` records in `records` name. */
function mergedShards(records: readonly JournalRecord[], task: number): Set<string> {
  const labels = new Set<string>();
  for (const record of records) {
    if (record.type === 'shard-merge' && record.task === task) {
      for (const label of record.shards) labels.add(label);
    }
  }
  return labels;
}

/** The branch list a task-start recorded: items × models, compared as canonical JSON. */
function branchList(task: TaskReplay): string {
  return canonicalJson({
    count: task.itemCount,
    items: task.items ?? null,
    models: task.models ?? null,
  });
}

/** Copies a result side file of a merged record into the session, atomically. */
function copyResultFile(fromFolder: string, sessionDir: string, resultFile: string): void {
  const to = path.resolve(sessionDir, resultFile);
  if (!to.startsWith(path.resolve(sessionDir) + path.sep)) {
    throw new TaskflowError('session', `result file ${resultFile} is outside the session`);
  }
  fs.mkdirSync(path.dirname(to), { recursive: true, mode: 0o700 });
  writeFileAtomic(to, fs.readFileSync(path.resolve(fromFolder, resultFile), 'utf8'));
}
