import type { AgentJournal } from '../agent/types.js';
import type { BranchRestore, FinishedTask, RunRecorder } from '../engine/run-recorder.js';
import type { TaskResult } from '../engine/run-types.js';
import { isTaskflowError } from '../errors.js';
import { addUsage, ZERO_USAGE } from '../model/types.js';
import type { JournalRecordInput, RecordedError } from './journal-records.js';
import type { Manifest, ManifestTask } from './manifest.js';
import { itemUsage, type ReplayState } from './replay.js';
import { restoreAgentState } from './restore-agent-state.js';
import { itemToolResults, taskToolResults } from './item-tool-results.js';
import type { JournalWriter } from './journal.js';
import type { Session } from './session.js';
import { preview, tailLines } from '../text-preview.js';

export interface SessionRecorderOptions {
  /** Removes secrets from anything written (tokens, values read with env()). */
  readonly redact: <T>(value: T) => T;
  /** The nudge the agent sends after an empty reply (to rebuild conversations). */
  readonly nudgeMessage: string;
  /** `resume --force`: reuse finished tasks only; the rest starts afresh. */
  readonly taskGranularity?: boolean;
}

/** Detail lines kept with a recorded error (`sessions show` prints them). */
const RECORDED_DETAILS = { maxLines: 20, maxBytes: 4096 } as const;

function recordedError(error: Error | undefined): RecordedError | undefined {
  if (!error) return undefined;
  const classification = (error as { classification?: { errorClass?: string } }).classification;
  const details = isTaskflowError(error) ? tailLines(error.details, RECORDED_DETAILS) : [];
  return {
    code: isTaskflowError(error) ? error.code : 'internal',
    message: error.message,
    ...(classification?.errorClass && { class: classification.errorClass }),
    ...(details.length > 0 && { details }),
  };
}

/**
 * What the recorder needs of a session: its journal, what the journal held when opened, its
 * result files and its manifest. A `Session` (this process owns the session folder) or a
 * queue worker's view of one branch (records travel to the coordinator, which owns it).
 */
export interface RecorderSession {
  readonly journal: Pick<JournalWriter, 'append' | 'durable'>;
  readonly replay: ReplayState;
  readTaskResult: Session['readTaskResult'];
  updateManifest(mutator: (draft: Manifest) => Manifest | void): void;
}

/**
 * The engine's RunRecorder backed by a session: journal records at every boundary
 * (fsync at turn, item and task ends), manifest updates per task, and replay of the
 * journal the session held when opened.
 */
export class SessionRecorder implements RunRecorder {
  private readonly replay: ReplayState;
  /** Model turns committed in this process, per task (added to `requests` at task end). */
  private readonly turnsThisRun = new Map<number, number>();
  /** Branches (`task.branch`) that continue a recorded conversation in this process. */
  private readonly continuing = new Set<string>();

  constructor(
    private readonly session: RecorderSession,
    private readonly options: SessionRecorderOptions,
  ) {
    this.replay = session.replay;
  }

  finishedTask(taskIndex: number): FinishedTask | undefined {
    const task = this.replay.tasks.get(taskIndex);
    if (!task || (task.status !== 'succeeded' && task.status !== 'skipped')) return undefined;
    const result = this.session.readTaskResult(task) ?? task.result;
    return {
      status: task.status,
      ...(result && { result }),
      usage: task.usage,
      durationMs: task.durationMs ?? 0,
      itemCount: task.itemCount,
      toolResults: taskToolResults(task),
    };
  }

  finishedBranches(taskIndex: number): ReadonlySet<number> {
    const finished = new Set<number>();
    if (this.options.taskGranularity) return finished;
    for (const [ordinal, item] of this.replay.tasks.get(taskIndex)?.itemStates ?? []) {
      // As restoreBranch reuses them: succeeded, with the result kept.
      const kept = item.result !== undefined || item.resultFile !== undefined;
      if (item.status === 'succeeded' && kept) finished.add(ordinal);
    }
    return finished;
  }

  recordedItems(taskIndex: number): unknown[] | undefined {
    if (this.options.taskGranularity) return undefined;
    return this.replay.tasks.get(taskIndex)?.items;
  }

  restoreBranch(
    taskIndex: number,
    branchIndex: number,
    prompt: string,
    options: { excludeFromContext: boolean },
  ): BranchRestore | undefined {
    if (this.options.taskGranularity) return undefined;
    const item = this.replay.tasks.get(taskIndex)?.itemStates.get(branchIndex);
    if (!item) return undefined;
    if (item.status === 'succeeded') {
      const result: TaskResult | undefined = this.session.readTaskResult(item) ?? item.result;
      if (result) {
        return {
          kind: 'succeeded',
          result,
          usage: itemUsage(item),
          toolResults: itemToolResults(item),
        };
      }
    }
    if (item.turns.length === 0) return undefined;
    // A conversation continues only under the prompt it started with: after an edit of the
    // task's prompt (allowed for unfinished tasks) the item starts afresh with the new one.
    if (item.prompt !== undefined && item.prompt !== this.options.redact(prompt)) return undefined;
    const restore = restoreAgentState(item, prompt, this.options.nudgeMessage, options);
    this.continuing.add(`${taskIndex}.${branchIndex}`);
    return {
      kind: 'continue',
      restored: {
        ...restore.restored,
        ...(restore.pendingCalls.length > 0 && { pendingCalls: restore.pendingCalls }),
        ...(restore.finished && { finalText: restore.finished.finalText }),
      },
    };
  }

  taskStart(
    taskIndex: number,
    info: {
      name: string;
      itemCount: number;
      items?: unknown[];
      model?: string;
      outputId?: string;
      models?: string[];
    },
  ): void {
    const earlier = this.replay.tasks.get(taskIndex);
    const resumed =
      !this.options.taskGranularity &&
      earlier !== undefined &&
      earlier.status !== 'succeeded' &&
      earlier.status !== 'skipped';
    this.session.journal.append(
      this.options.redact({
        type: 'task-start',
        task: taskIndex,
        name: info.name,
        itemCount: info.itemCount,
        ...(info.items !== undefined && { items: info.items }),
        ...(info.models !== undefined && { models: info.models }),
        ...(info.model !== undefined && { model: info.model }),
        ...(info.outputId !== undefined && { outputId: info.outputId }),
        ...(resumed && { resumed: true }),
      }),
      { sync: true },
    );
    this.updateTask(taskIndex, info.name, (task) => {
      task.status = 'running';
    });
  }

  itemStart(taskIndex: number, branchIndex: number, prompt: string): void {
    const resumed = this.continuing.has(`${taskIndex}.${branchIndex}`);
    this.session.journal.append(
      this.options.redact({
        type: 'item-start',
        task: taskIndex,
        item: branchIndex,
        prompt,
        ...(resumed && { resumed: true }),
      }),
    );
  }

  agentJournal(taskIndex: number, branchIndex: number): AgentJournal {
    const journal = this.session.journal;
    const redact = this.options.redact;
    const location = { task: taskIndex, item: branchIndex };
    return {
      turnCommitted: (turn) => {
        this.turnsThisRun.set(taskIndex, (this.turnsThisRun.get(taskIndex) ?? 0) + 1);
        journal.append(
          redact({
            type: 'turn-commit',
            ...location,
            turn: turn.turn,
            agent: turn.agent,
            message: { content: turn.message.content, toolCalls: [...turn.message.toolCalls] },
            usage: turn.usage,
          }),
          { sync: true },
        );
        return journal.durable();
      },
      toolIntent: (intent) => {
        // Called the moment the request was handed to the server's transport (never before,
        // so an unsent call is re-run on resume): written synchronously, fsynced after.
        journal.append(
          redact({
            type: 'tool-intent',
            ...location,
            callId: intent.call.id,
            toolbox: intent.toolbox,
            tool: intent.tool,
            arguments: intent.call.arguments,
          }),
          { sync: true },
        );
        return journal.durable();
      },
      toolResult: (result) => {
        journal.append(
          redact({
            type: 'tool-result',
            ...location,
            callId: result.callId,
            content: result.content,
            status: result.status,
            ...(result.handoffTo !== undefined && { handoffTo: result.handoffTo }),
            ...(result.record && { record: result.record }),
          }),
          { sync: true },
        );
        return journal.durable();
      },
    };
  }

  itemEnd(
    taskIndex: number,
    branchIndex: number,
    outcome: { status: 'succeeded' | 'failed'; result?: TaskResult; error?: Error },
  ): void {
    const error = recordedError(outcome.error);
    this.session.journal.append(
      this.options.redact({
        type: 'item-end',
        task: taskIndex,
        item: branchIndex,
        status: outcome.status,
        ...(outcome.result && { result: outcome.result }),
        ...(error && { error }),
      }),
      { sync: true },
    );
  }

  taskEnd(
    taskIndex: number,
    outcome: {
      status: 'succeeded' | 'failed' | 'skipped';
      result?: TaskResult;
      error?: Error;
      usage: { inputTokens: number; outputTokens: number };
      durationMs: number;
      itemCounts?: { total: number; succeeded: number; failed: number };
      waitMs?: number;
      pacedMs?: number;
    },
  ): void {
    const error = recordedError(outcome.error);
    this.session.journal.append(
      this.options.redact({
        type: 'task-end',
        task: taskIndex,
        status: outcome.status,
        ...(outcome.result && { result: outcome.result }),
        ...(error && { error }),
        usage: outcome.usage,
        durationMs: outcome.durationMs,
      }),
      { sync: true },
    );
    this.updateTask(taskIndex, undefined, (task) => {
      task.status = outcome.status;
      task.usage = outcome.usage;
      task.durationMs = outcome.durationMs;
      task.requests += this.turnsThisRun.get(taskIndex) ?? 0;
      task.waitMs += outcome.waitMs ?? 0;
      if ((outcome.pacedMs ?? 0) > 0) task.pacedMs = (task.pacedMs ?? 0) + (outcome.pacedMs ?? 0);
      this.turnsThisRun.delete(taskIndex);
      if (outcome.itemCounts) task.items = outcome.itemCounts;
    });
  }

  taskDeferred(
    taskIndex: number,
    outcome: {
      usage: { inputTokens: number; outputTokens: number };
      itemCounts: { total: number; succeeded: number; failed: number };
      waitMs?: number;
      pacedMs?: number;
    },
  ): void {
    // The task stays `running`: its other branches are still to run elsewhere.
    this.updateTask(taskIndex, undefined, (task) => {
      task.usage = outcome.usage;
      task.requests += this.turnsThisRun.get(taskIndex) ?? 0;
      task.waitMs += outcome.waitMs ?? 0;
      if ((outcome.pacedMs ?? 0) > 0) task.pacedMs = (task.pacedMs ?? 0) + (outcome.pacedMs ?? 0);
      this.turnsThisRun.delete(taskIndex);
      task.items = outcome.itemCounts;
    });
  }

  /**
   * Copies a record a queue worker wrote for one of this run's branches (redacted again
   * with this process's secrets), counting its turns and retries as if they ran here.
   */
  appendCopied(record: JournalRecordInput & { readonly at: string }): void {
    const { at, ...input } = record;
    this.session.journal.append(this.options.redact(input), {
      sync: true,
      at,
    });
    if (input.type === 'turn-commit') {
      this.turnsThisRun.set(input.task, (this.turnsThisRun.get(input.task) ?? 0) + 1);
    } else if (input.type === 'request-attempts' && input.task !== undefined) {
      const errorClass = input.errorClass ?? 'unknown';
      this.updateTask(input.task, undefined, (task) => {
        task.requests += 1;
        task.retries[errorClass] = (task.retries[errorClass] ?? 0) + 1;
      });
    }
  }

  previousAttempts(requestKey: string): number {
    return this.replay.attempts.get(requestKey) ?? 0;
  }

  requestAttempts(
    requestKey: string,
    attempts: number,
    info: { taskIndex: number; errorClass: string; waitMs: number },
  ): void {
    this.session.journal.append(
      {
        type: 'request-attempts',
        key: requestKey,
        attempts,
        errorClass: info.errorClass,
        task: info.taskIndex,
      },
      { sync: true },
    );
    this.updateTask(info.taskIndex, undefined, (task) => {
      task.requests += 1;
      task.retries[info.errorClass] = (task.retries[info.errorClass] ?? 0) + 1;
      task.waitMs += info.waitMs;
    });
  }

  /** Publish an output preview in the manifest (redacted before the cut, which could halve a secret). */
  recordOutput(id: string, value: unknown): void {
    this.session.updateManifest((manifest) => {
      manifest.outputs[id] = preview(
        this.options.redact(
          typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined'),
        ),
      );
    });
  }

  private updateTask(
    taskIndex: number,
    name: string | undefined,
    change: (task: ManifestTask) => void,
  ): void {
    this.session.updateManifest((manifest) => {
      let task = manifest.tasks.find((entry) => entry.index === taskIndex);
      if (!task) {
        task = {
          index: taskIndex,
          name: name ?? `task-${taskIndex + 1}`,
          status: 'pending',
          usage: { ...ZERO_USAGE },
          requests: 0,
          retries: {},
          waitMs: 0,
        };
        manifest.tasks.push(task);
        manifest.tasks.sort((a, b) => a.index - b.index);
      }
      change(task);
      manifest.usage = manifest.tasks.reduce(
        (sum, entry) => addUsage(sum, entry.usage),
        ZERO_USAGE,
      );
    });
  }
}
