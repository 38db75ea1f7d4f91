import type { JournalRecordOf } from './journal-records.js';
import type { ManifestShard } from './manifest.js';
import type { Session } from './session.js';

/** A shard run as replayed from the journal: the manifest's `shards` entry. */
export type ShardRun = ManifestShard;

type ShardRecord =
  JournalRecordOf<'shard-start'> | JournalRecordOf<'shard-end'> | JournalRecordOf<'shard-merge'>;

/** `K/N`, the way the CLI and the records name a shard. */
export function shardLabel(shard: { readonly shard: number; readonly of: number }): string {
  return `${shard.shard}/${shard.of}`;
}

/**
 * Folds a shard record into `shards` (one entry per task and K/N; a shard killed and run
 * again keeps its first start and takes its latest end). A merge marks the shards it
 * names as merged.
 */
export function applyShardRecord(shards: ShardRun[], record: ShardRecord): void {
  const find = (task: number, label: string) =>
    shards.find((entry) => entry.task === task && shardLabel(entry) === label);
  switch (record.type) {
    case 'shard-start': {
      const existing = find(record.task, shardLabel(record));
      if (existing) {
        existing.branches = record.branches;
        return;
      }
      shards.push({
        task: record.task,
        shard: record.shard,
        of: record.of,
        branches: record.branches,
        ...(record.host !== undefined && { host: record.host }),
        startedAt: record.at,
        succeeded: 0,
        failed: [],
        merged: false,
      });
      return;
    }
    case 'shard-end': {
      const entry = find(record.task, shardLabel(record));
      if (!entry) return;
      entry.endedAt = record.at;
      entry.succeeded = record.succeeded;
      entry.failed = [...record.failed];
      return;
    }
    case 'shard-merge':
      for (const label of record.shards) {
        const entry = find(record.task, label);
        if (entry) entry.merged = true;
      }
      return;
  }
}

/**
 * Appends a shard record (`shard-start` when a shard run begins, `shard-end` when it
 * stops) and updates the manifest's `shards` from it.
 */
export function recordShardRun(
  session: Session,
  input: ShardRecordInput<'shard-start'> | ShardRecordInput<'shard-end'>,
): void {
  const record = session.journal.append(input, { sync: true });
  if (record.type !== 'shard-start' && record.type !== 'shard-end') return;
  session.updateManifest((manifest) => {
    manifest.shards ??= [];
    applyShardRecord(manifest.shards, record);
  });
}

type ShardRecordInput<T extends 'shard-start' | 'shard-end'> = Omit<
  JournalRecordOf<T>,
  'seq' | 'at'
>;
