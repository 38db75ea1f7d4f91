import type { TaskDefinition } from '../definitions/types.js';
import type { Usage } from '../model/types.js';
import { mapWithLimit } from './concurrency.js';
import type { ResultSource } from './expand-items.js';
import type { Branch, TaskResult } from './run-types.js';

/** One fan-out task's branches (items × models, item-major) as an executor sees them. */
export interface FanOut {
  readonly taskIndex: number;
  readonly taskName: string;
  /** Every branch of the task, in ordinal order (`branch.index` is the ordinal). */
  readonly branches: readonly Branch[];
  /** How many branches may run at once in one process (async_limit × model_concurrency). */
  readonly concurrencyLimit: number;
  /** Ordinals an earlier run (or a merged shard) finished: running them only reuses them. */
  readonly finished: ReadonlySet<number>;
}

/** How a branch settled: run in this process (fulfilled or rejected), or left to another. */
export type BranchSettlement<R> = PromiseSettledResult<R> | { readonly status: 'elsewhere' };

/**
 * Where the branches of a fan-out task run: all in this process, a shard's share of them,
 * none (a plan), later a queue's workers. The engine runs whatever `execute` hands it and
 * never knows about machines; a task with a branch settled `elsewhere` stays unfinished and
 * its run ends deferred, to be merged and resumed (scale-out.md "Shards").
 */
export interface BranchExecutor {
  /** The branches of `fanOut` this process runs; toolboxes start only for unfinished ones. */
  branchesHere(fanOut: FanOut): readonly Branch[];
  /**
   * True when this process only contributes branches to `fanOut` and never finishes it
   * (a shard): the run then stops after them, deferred, even with none left to others.
   */
  leavesOpen(fanOut: FanOut): boolean;
  /** Runs `run` for the branches here, at most `concurrencyLimit` at once; results in ordinal order. */
  execute<R>(fanOut: FanOut, run: (branch: Branch) => Promise<R>): Promise<BranchSettlement<R>[]>;
}

/**
 * Fan-outs whose branches run in other processes that report back (a queue's workers):
 * the engine starts no toolbox here and hands the whole fan-out to `dispatch`, which
 * settles every branch (finished ones reused) in ordinal order. A branch that stops the
 * run (quota, auth, config, cancelled) rejects the returned promise instead.
 */
export interface RemoteBranchExecutor {
  dispatch(request: RemoteFanOut): Promise<RemoteBranchEnd[]>;
}

/** Where a run's fan-outs go: run in this process (all, a shard's share, none), or elsewhere. */
export type FanOutExecutor = BranchExecutor | RemoteBranchExecutor;

/** A fan-out handed to other processes: what they need besides the loaded definitions. */
export interface RemoteFanOut {
  readonly fanOut: FanOut;
  readonly task: TaskDefinition;
  readonly globals: Readonly<Record<string, unknown>>;
  /** The `outputs` published so far (the templates of the task read them). */
  readonly outputs: Readonly<Record<string, unknown>>;
  readonly headless: boolean;
  readonly signal: AbortSignal;
  /** A branch began (or continued) running somewhere. */
  onBranchStart(ordinal: number): void;
  /** A branch ended (before `dispatch` settles): events and accounting as it happens. */
  onBranchEnd(ordinal: number, end: RemoteBranchEnd): void;
}

/** How a branch run elsewhere ended, as the engine needs it. */
export interface RemoteBranchEnd {
  readonly status: 'succeeded' | 'failed';
  readonly result?: TaskResult;
  readonly error?: Error;
  readonly usage: Usage;
  /** The MCP results the branch received, in order (the run's result stack gets them). */
  readonly toolResults: readonly ResultSource[];
  /** Finished by an earlier run: nothing ran now. */
  readonly reused?: boolean;
}

/** Every branch here, as an unsharded run does it. */
export const localBranchExecutor: BranchExecutor = {
  branchesHere: (fanOut) => fanOut.branches,
  leavesOpen: () => false,
  execute: (fanOut, run) => mapWithLimit(fanOut.branches, fanOut.concurrencyLimit, run),
};

/**
 * An executor running the branches `select` picks of each fan-out here and leaving the
 * others to other processes. `select` returns the ordinals to run; `leavesOpen` as in
 * BranchExecutor (default: the task finishes once no branch is left to others).
 */
export function selectingBranchExecutor(
  select: (fanOut: FanOut) => ReadonlySet<number>,
  leavesOpen: (fanOut: FanOut) => boolean = () => false,
): BranchExecutor {
  const here = (fanOut: FanOut) => {
    const chosen = select(fanOut);
    return fanOut.branches.filter((branch) => chosen.has(branch.index));
  };
  return {
    branchesHere: here,
    leavesOpen,
    async execute<R>(fanOut: FanOut, run: (branch: Branch) => Promise<R>) {
      const branches = here(fanOut);
      const settled = await mapWithLimit(branches, fanOut.concurrencyLimit, run);
      const byOrdinal = new Map(
        branches.map((branch, position) => [branch.index, settled[position]]),
      );
      return fanOut.branches.map(
        (branch): BranchSettlement<R> => byOrdinal.get(branch.index) ?? { status: 'elsewhere' },
      );
    },
  };
}

/** How a deferred fan-out went in this process: ordinals by outcome. */
export interface DeferredBranches {
  readonly succeeded: readonly number[];
  readonly failed: readonly number[];
  /** Left to other processes (a plan leaves all of them). */
  readonly elsewhere: readonly number[];
}

/**
 * The deferral of a fan-out some of whose branches settled elsewhere, or that this process
 * leaves open; else undefined (the task finishes here).
 */
export function deferredBranches(
  branches: readonly Branch[],
  settled: readonly BranchSettlement<unknown>[],
  leaveOpen = false,
): DeferredBranches | undefined {
  const outcome: { succeeded: number[]; failed: number[]; elsewhere: number[] } = {
    succeeded: [],
    failed: [],
    elsewhere: [],
  };
  branches.forEach((branch, position) => {
    const status = settled[position]?.status ?? 'elsewhere';
    const list =
      status === 'fulfilled'
        ? outcome.succeeded
        : status === 'rejected'
          ? outcome.failed
          : outcome.elsewhere;
    list.push(branch.index);
  });
  return outcome.elsewhere.length > 0 || leaveOpen ? outcome : undefined;
}
