import { appendFileSync } from 'node:fs';
import os from 'node:os';
import type { LoadedTaskflow } from '../definitions/load-taskflow.js';
import { localBranchExecutor, type BranchExecutor } from '../engine/branch-executor.js';
import type { RunEnd } from '../engine/run-taskflow.js';
import {
  formatShard,
  planningBranchExecutor,
  shardBranchExecutor,
  type ShardSpec,
} from '../engine/shard-executor.js';
import { TaskflowError, errorMessage } from '../errors.js';
import type { Manifest } from '../sessions/manifest.js';
import type { Session } from '../sessions/session.js';
import { recordShardRun, shardLabel } from '../sessions/shard-runs.js';
import { describeShardRun } from './shard-lines.js';

/**
 * Which of a run's fan-out branches run in this process (scale-out.md "Shards"): all of
 * them, none (`--until-fanout`: stop at the first fan-out, planned), or a shard's share of
 * the fan-out in progress (`resume --shard K/N`).
 */
export type RunDistribution =
  | { readonly kind: 'plan' }
  | {
      readonly kind: 'shard';
      readonly shard: ShardSpec;
      readonly taskIndex: number;
      /** The task's branch count, as planned. */
      readonly branches: number;
    };

export function branchExecutorFor(distribution: RunDistribution | undefined): BranchExecutor {
  if (distribution === undefined) return localBranchExecutor;
  return distribution.kind === 'plan'
    ? planningBranchExecutor
    : shardBranchExecutor(distribution.taskIndex, distribution.shard);
}

/** The session status of a run that stopped with branches left to others. */
export function deferredStatus(distribution: RunDistribution | undefined): 'planned' | 'sharded' {
  return distribution?.kind === 'plan' ? 'planned' : 'sharded';
}

/**
 * The fan-out a shard of `session` runs: its first unfinished task, which must be a
 * fan-out whose branch list was recorded (planned, or started by an earlier run).
 * Undefined when nothing is left to run.
 *
 * @throws TaskflowError 'usage' when the next task to run is not a planned fan-out
 */
export function shardTarget(
  session: Session,
  loaded: LoadedTaskflow,
): { taskIndex: number; branches: number } | undefined {
  const status = (index: number) =>
    session.manifest.tasks.find((entry) => entry.index === index)?.status;
  const current = loaded.tasks.find((task) => {
    const state = status(task.index);
    return state !== 'succeeded' && state !== 'skipped';
  });
  if (!current) return undefined;
  const replayed = session.replay.tasks.get(current.index);
  const fanOut = current.repeatPrompt || current.models !== undefined;
  // Planned (a task-start with its items), or started by a run that stopped or failed in it.
  const started = replayed?.status === 'running' || replayed?.status === 'failed';
  if (fanOut && started) return { taskIndex: current.index, branches: replayed.itemCount };
  const why = fanOut ? 'has not been planned' : 'is not a fan-out';
  throw new TaskflowError(
    'usage',
    `session ${session.id} has no fan-out to shard: its next task, ${current.index + 1} "${current.name}", ${why}; plan the next fan-out with: taskflow resume ${session.id} --until-fanout`,
  );
}

/** Records the start of a shard run (its share of the task's branches, and where). */
export function recordShardStart(session: Session, distribution: RunDistribution | undefined) {
  if (distribution?.kind !== 'shard') return;
  recordShardRun(session, {
    type: 'shard-start',
    task: distribution.taskIndex,
    shard: distribution.shard.index,
    of: distribution.shard.count,
    branches: distribution.branches,
    host: os.hostname(),
  });
}

/** Records how a shard run's branches went, when it ran to its deferral. */
export function recordShardEnd(
  session: Session,
  distribution: RunDistribution | undefined,
  end: RunEnd,
  waited: { waitMs: number; pacedMs: number },
): void {
  if (distribution?.kind !== 'shard' || end.status !== 'deferred') return;
  recordShardRun(session, {
    type: 'shard-end',
    task: distribution.taskIndex,
    shard: distribution.shard.index,
    of: distribution.shard.count,
    succeeded: end.branches.succeeded.length,
    failed: [...end.branches.failed],
    waitMs: waited.waitMs,
    ...(waited.pacedMs > 0 && { pacedMs: waited.pacedMs }),
  });
}

/**
 * What a deferred run tells its user and its step summary: the plan (how many branches
 * and how to shard them) or the shard's line (which branches it ran, how they went).
 */
export function distributionLines(
  manifest: Manifest,
  distribution: RunDistribution | undefined,
  end: RunEnd,
): string[] {
  if (end.status !== 'deferred') return [];
  if (distribution?.kind === 'shard') {
    const label = formatShard(distribution.shard);
    return (manifest.shards ?? [])
      .filter((run) => run.task === distribution.taskIndex && shardLabel(run) === label)
      .map((run) => describeShardRun(run, manifest));
  }
  const task = manifest.tasks.find((entry) => entry.index === end.taskIndex);
  const count = end.branches.elsewhere.length;
  return [
    `planned task ${end.taskIndex + 1} "${task?.name ?? ''}": ${count} branch${count === 1 ? '' : 'es'}; run shard K of N with: taskflow resume ${manifest.id} --shard K/N`,
  ];
}

/** Appends `lines` as a list to the GitHub step summary, when there is one. */
export function appendSummaryLines(
  summaryPath: string | undefined,
  title: string,
  lines: readonly string[],
  warn: (message: string) => void,
): void {
  if (!summaryPath || lines.length === 0) return;
  try {
    appendFileSync(
      summaryPath,
      `#### ${title}\n\n${lines.map((line) => `- ${line}`).join('\n')}\n\n`,
    );
  } catch (error) {
    warn(`could not write the step summary: ${errorMessage(error)}`);
  }
}
