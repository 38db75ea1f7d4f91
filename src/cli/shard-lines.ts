import { shardOrdinals } from '../engine/shard-executor.js';
import type { Manifest } from '../sessions/manifest.js';
import { shardLabel, type ShardRun } from '../sessions/shard-runs.js';

/**
 * Ordinals as people count them (from 1), runs of three or more as ranges: `1, 4, 7` for
 * shard 1/3 of nine branches, `3-5, 9` otherwise; a long list ends in `… (N)`.
 */
export function describeOrdinals(ordinals: readonly number[], limit = 12): string {
  const shown = ordinals.slice(0, limit).map((ordinal) => ordinal + 1);
  const parts: string[] = [];
  for (let start = 0; start < shown.length;) {
    let end = start;
    while (end + 1 < shown.length && (shown[end + 1] ?? 0) === (shown[end] ?? 0) + 1) end++;
    parts.push(
      end - start >= 2 ? `${shown[start]}-${shown[end]}` : shown.slice(start, end + 1).join(', '),
    );
    start = end + 1;
  }
  const more = ordinals.length > limit ? `, … (${ordinals.length})` : '';
  return `${parts.join(', ')}${more}`;
}

/**
 * One line per shard run: which branches it ran and how they went, e.g.
 * `shard 1/3 of task 2 "note each": branches 1, 4, 7 (3 of 9) — 3 succeeded, merged`.
 */
export function describeShardRun(run: ShardRun, manifest: Pick<Manifest, 'tasks'>): string {
  const name = manifest.tasks.find((task) => task.index === run.task)?.name ?? '';
  const ordinals = shardOrdinals(run.branches, { index: run.shard, count: run.of });
  const outcome =
    run.endedAt === undefined
      ? 'not finished'
      : `${run.succeeded} succeeded${run.failed.length > 0 ? `, ${run.failed.length} failed (branches ${describeOrdinals(run.failed)})` : ''}`;
  const where = run.host === undefined ? '' : ` on ${run.host}`;
  return (
    `shard ${shardLabel(run)} of task ${run.task + 1} "${name}": branches ${describeOrdinals(ordinals)} ` +
    `(${ordinals.length} of ${run.branches})${where} — ${outcome}${run.merged ? ', merged' : ''}`
  );
}
