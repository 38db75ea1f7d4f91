import type { AgentJournal, RestoredAgentState } from '../agent/types.js';
import type { TaskStatus } from '../events.js';
import type { Usage } from '../model/types.js';
import type { ResultSource } from './expand-items.js';
import type { TaskResult } from './run-types.js';

/** A task an earlier run of the session already finished: reuse it, run nothing. */
export interface FinishedTask {
  readonly status: 'succeeded' | 'skipped';
  readonly result?: TaskResult;
  readonly usage: Usage;
  readonly durationMs: number;
  readonly itemCount: number;
  /** The MCP results its items received (item order, then call order): the task's
   *  pushes onto the run's result stack. */
  readonly toolResults: readonly ResultSource[];
}

/** What a branch (item x model) left behind in an earlier run. */
export type BranchRestore =
  | {
      readonly kind: 'succeeded';
      readonly result: TaskResult;
      readonly usage: Usage;
      /** The MCP results the branch received, in order. */
      readonly toolResults: readonly ResultSource[];
    }
  | { readonly kind: 'continue'; readonly restored: RestoredAgentState };

/**
 * Where the engine records finished work (sessions.md) and, on resume, finds it again.
 * Every method returns once the record is durable enough for its boundary; recording
 * never changes what the engine does, restoring only skips work already done.
 */
export interface RunRecorder {
  /** A task finished by an earlier run (succeeded or skipped), if any. */
  finishedTask(taskIndex: number): FinishedTask | undefined;
  /** Branches (ordinals) of a task an earlier run finished with a result: they are reused. */
  finishedBranches(taskIndex: number): ReadonlySet<number>;
  /** The repeat items recorded when the task first started (resume iterates these). */
  recordedItems(taskIndex: number): unknown[] | undefined;
  /** The state of one branch from an earlier run, given its freshly rendered prompt. */
  restoreBranch(
    taskIndex: number,
    branchIndex: number,
    prompt: string,
    options: { readonly excludeFromContext: boolean },
  ): BranchRestore | undefined;
  taskStart(
    taskIndex: number,
    info: {
      name: string;
      itemCount: number;
      items?: unknown[];
      model?: string;
      outputId?: string;
      /** A fan-out over `models`: the model of each branch of an item, in order. */
      models?: string[];
    },
  ): void;
  itemStart(taskIndex: number, branchIndex: number, prompt: string): void;
  agentJournal(taskIndex: number, branchIndex: number): AgentJournal;
  itemEnd(
    taskIndex: number,
    branchIndex: number,
    outcome: { status: 'succeeded' | 'failed'; result?: TaskResult; error?: Error },
  ): void;
  taskEnd(
    taskIndex: number,
    outcome: {
      status: TaskStatus;
      result?: TaskResult;
      error?: Error;
      usage: Usage;
      durationMs: number;
      itemCounts?: { total: number; succeeded: number; failed: number };
      /** Time spent waiting before retries in this run. */
      waitMs?: number;
      /** Time spent waiting for the pacer's budget in this run. */
      pacedMs?: number;
    },
  ): void;
  /**
   * A fan-out stopped with branches left to other processes (a plan or a shard): the task
   * stays unfinished; what ran here is counted.
   */
  taskDeferred(
    taskIndex: number,
    outcome: {
      usage: Usage;
      itemCounts: { total: number; succeeded: number; failed: number };
      waitMs?: number;
      pacedMs?: number;
    },
  ): void;
  /** A task published `outputs.<id>` (the manifest keeps a preview). */
  recordOutput(id: string, value: unknown): void;
  /** Attempts already made for a logical request (across resumes). */
  previousAttempts(requestKey: string): number;
  /** After each failed attempt: the total so far for this logical request. */
  requestAttempts(
    requestKey: string,
    attempts: number,
    info: { taskIndex: number; errorClass: string; waitMs: number },
  ): void;
}
