import { describe, expect, it } from 'vitest';
import {
  deferredBranches,
  localBranchExecutor,
  type FanOut,
} from '../../src/engine/branch-executor.js';
import type { Branch } from '../../src/engine/run-types.js';
import {
  isShardOrdinal,
  parseShardSpec,
  planningBranchExecutor,
  shardBranchExecutor,
  shardOrdinals,
} from '../../src/engine/shard-executor.js';
import { TaskflowError } from '../../src/errors.js';

function fanOut(count: number, options: { task?: number; finished?: number[] } = {}): FanOut {
  const branches: Branch[] = Array.from({ length: count }, (_, index) => ({
    index,
    itemIndex: index,
    hasItem: true,
    item: `item-${index}`,
    modelName: 'm',
    modelSettings: {},
  }));
  return {
    taskIndex: options.task ?? 1,
    taskName: 'each',
    branches,
    concurrencyLimit: 2,
    finished: new Set(options.finished ?? []),
  };
}

/** Runs an executor with a work function that records the ordinals it was given. */
async function execute(executor: typeof localBranchExecutor, plan: FanOut) {
  const ran: number[] = [];
  const settled = await executor.execute(plan, (branch) => {
    ran.push(branch.index);
    if (branch.index === 4) return Promise.reject(new Error('branch 4 failed'));
    return Promise.resolve(branch.index * 10);
  });
  return {
    ran: ran.sort((a, b) => a - b),
    deferred: deferredBranches(plan.branches, settled, executor.leavesOpen(plan)),
    settled,
  };
}

describe('parseShardSpec', () => {
  it('reads K/N with 1 <= K <= N and refuses anything else with exit-2 usage errors', () => {
    expect(parseShardSpec('2/3')).toEqual({ index: 2, count: 3 });
    expect(parseShardSpec(' 1 / 1 ')).toEqual({ index: 1, count: 1 });
    for (const bad of ['0/3', '4/3', '3', '1/0', 'a/b', '-1/3', '1.5/3', '']) {
      let error: unknown;
      try {
        parseShardSpec(bad);
      } catch (caught) {
        error = caught;
      }
      expect(error, bad).toBeInstanceOf(TaskflowError);
      expect((error as TaskflowError).code).toBe('usage');
      expect((error as TaskflowError).message).toContain(`--shard ${bad}: expected K/N`);
    }
  });
});

describe('shard ordinals', () => {
  it('are the ordinals ≡ K−1 (mod N): every branch in exactly one shard', () => {
    expect(shardOrdinals(10, { index: 1, count: 3 })).toEqual([0, 3, 6, 9]);
    expect(shardOrdinals(10, { index: 3, count: 3 })).toEqual([2, 5, 8]);
    expect(shardOrdinals(2, { index: 3, count: 3 })).toEqual([]);
    const all = [1, 2, 3, 4].flatMap((index) => shardOrdinals(11, { index, count: 4 }));
    expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: 11 }, (_, i) => i));
    expect(isShardOrdinal(7, { index: 2, count: 3 })).toBe(true);
  });
});

describe('branch executors', () => {
  it('local: runs every branch and finishes the task', async () => {
    const { ran, deferred, settled } = await execute(localBranchExecutor, fanOut(6));
    expect(ran).toEqual([0, 1, 2, 3, 4, 5]);
    expect(deferred).toBeUndefined();
    expect(settled[4]?.status).toBe('rejected');
  });

  it('shard: runs its ordinals of its task only and always leaves the task open', async () => {
    const shard = shardBranchExecutor(1, { index: 2, count: 3 });
    expect(await execute(shard, fanOut(6))).toMatchObject({
      ran: [1, 4],
      deferred: { succeeded: [1], failed: [4], elsewhere: [0, 2, 3, 5] },
    });
    // Shard 1/1 runs everything and still never finishes the task (no later task runs).
    const whole = await execute(shardBranchExecutor(1, { index: 1, count: 1 }), fanOut(3));
    expect(whole.deferred).toEqual({ succeeded: [0, 1, 2], failed: [], elsewhere: [] });
    // Any other fan-out runs nothing in a shard.
    expect((await execute(shard, fanOut(6, { task: 3 }))).ran).toEqual([]);
  });

  it('plan: runs no new branch, reuses finished ones, and finishes a fan-out with none left', async () => {
    expect(await execute(planningBranchExecutor, fanOut(4, { finished: [1, 2] }))).toMatchObject({
      ran: [1, 2],
      deferred: { succeeded: [1, 2], failed: [], elsewhere: [0, 3] },
    });
    const done = await execute(planningBranchExecutor, fanOut(2, { finished: [0, 1] }));
    expect(done.deferred).toBeUndefined();
  });
});
