import { TaskflowError } from '../errors.js';
import { selectingBranchExecutor, type BranchExecutor } from './branch-executor.js';

/** Shard `index` of `count` (1-based, like `--shard=1/3` in test runners). */
export interface ShardSpec {
  readonly index: number;
  readonly count: number;
}

const SHARD_PATTERN = /^\s*(\d+)\s*\/\s*(\d+)\s*$/;
/** More shards than this is surely a typo (and would list a million empty jobs). */
const MAX_SHARDS = 100_000;

/**
 * Parses `K/N` with 1 <= K <= N.
 *
 * @throws TaskflowError 'usage' naming the value and the expected form
 */
export function parseShardSpec(text: string): ShardSpec {
  const match = SHARD_PATTERN.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || index < 1 || count < 1 || index > count || count > MAX_SHARDS) {
    throw new TaskflowError(
      'usage',
      `--shard ${text}: expected K/N with 1 <= K <= N (like 1/3: the first of three shards)`,
    );
  }
  return { index, count };
}

export function formatShard(shard: ShardSpec): string {
  return `${shard.index}/${shard.count}`;
}

/** True when branch `ordinal` (0-based) is shard K/N's: ordinal ≡ K−1 (mod N). */
export function isShardOrdinal(ordinal: number, shard: ShardSpec): boolean {
  return ordinal % shard.count === shard.index - 1;
}

/** The ordinals of `branchCount` branches that are shard K/N's, ascending. */
export function shardOrdinals(branchCount: number, shard: ShardSpec): number[] {
  const ordinals: number[] = [];
  for (let ordinal = shard.index - 1; ordinal < branchCount; ordinal += shard.count) {
    ordinals.push(ordinal);
  }
  return ordinals;
}

/**
 * Runs shard K/N's branches of the fan-out task `taskIndex` and leaves the others; it
 * never finishes the task (so the tasks after it never run in a shard), and any other
 * fan-out runs nothing here: a shard never does work that is not its own.
 */
export function shardBranchExecutor(taskIndex: number, shard: ShardSpec): BranchExecutor {
  return selectingBranchExecutor(
    (fanOut) =>
      new Set(fanOut.taskIndex === taskIndex ? shardOrdinals(fanOut.branches.length, shard) : []),
    () => true,
  );
}

/**
 * Runs no new branch: the run stops at the first fan-out with branches left, its branch
 * list recorded. A fan-out whose branches are all finished (merged shards) is finished and
 * the run goes on to the next one.
 */
export const planningBranchExecutor: BranchExecutor = selectingBranchExecutor(
  (fanOut) => fanOut.finished,
);
