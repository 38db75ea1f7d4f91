import { assertNever } from '../errors.js';
import type { TaskResult } from '../engine/run-types.js';
import { addUsage, ZERO_USAGE, type ToolCall, type Usage } from '../model/types.js';
import type { ToolResultRecord } from '../agent/types.js';
import type {
  JournalRecord,
  JournalRecordOf,
  RecordedError,
  ToolResultStatus,
} from './journal-records.js';
import { applyShardRecord, type ShardRun } from './shard-runs.js';

export interface ToolResultReplay {
  readonly content: string;
  readonly status: ToolResultStatus;
  readonly handoffTo?: string;
  readonly record?: ToolResultRecord;
}

export interface TurnReplay {
  readonly turn: number;
  readonly agent: string;
  readonly message: { readonly content: string; readonly toolCalls: readonly ToolCall[] };
  readonly usage: Usage;
  /** Call id -> the result given to the model. */
  readonly toolResults: Map<string, ToolResultReplay>;
  /** Call ids whose execution was about to start (they may have run). */
  readonly intents: Set<string>;
}

export interface ItemReplay {
  /** Undefined while unfinished (no item-end since the last start or turn). */
  status?: 'succeeded' | 'failed';
  result?: TaskResult;
  resultFile?: string;
  error?: RecordedError;
  prompt?: string;
  readonly turns: TurnReplay[];
}

export interface TaskReplay {
  readonly index: number;
  name: string;
  status: 'running' | 'succeeded' | 'failed' | 'skipped';
  model?: string;
  outputId?: string;
  /** The recorded repeat items (reuse them on resume instead of expanding again). */
  items?: unknown[];
  /** A fan-out over `models`: the model of each branch of an item. */
  models?: string[];
  itemCount: number;
  result?: TaskResult;
  resultFile?: string;
  error?: RecordedError;
  durationMs?: number;
  /** The last task-end's usage plus turns committed after it (turn sums before any end). */
  usage: Usage;
  /** Committed turns plus failed attempts recorded for this task. */
  requests: number;
  /** Failed attempts by error class (from request-attempts records naming this task). */
  retries: Record<string, number>;
  readonly itemStates: Map<number, ItemReplay>;
}

export interface ReplayState {
  readonly start?: JournalRecordOf<'session-start'>;
  readonly tasks: Map<number, TaskReplay>;
  /** Logical request key -> attempts made so far (the highest recorded). */
  readonly attempts: Map<string, number>;
  /** Shard runs recorded (their own, or merged in from shard copies), in order. */
  readonly shards: ShardRun[];
}

/** The usage of an item's committed turns. */
export function itemUsage(item: ItemReplay): Usage {
  return item.turns.reduce((sum, turn) => addUsage(sum, turn.usage), ZERO_USAGE);
}

/**
 * Folds journal records (in order) into per-task and per-item state. Pure: it neither
 * reads result side files (see readTaskResult) nor validates against a taskflow.
 * A `task-start` / `item-start` without `resumed: true` starts that task / item afresh.
 */
export function replayJournal(records: readonly JournalRecord[]): ReplayState {
  let start: JournalRecordOf<'session-start'> | undefined;
  const tasks = new Map<number, TaskReplay>();
  const attempts = new Map<string, number>();
  const shards: ShardRun[] = [];
  const taskOf = (index: number): TaskReplay => {
    let task = tasks.get(index);
    if (!task) {
      task = newTask(index, '');
      tasks.set(index, task);
    }
    return task;
  };
  const itemOf = (record: { task: number; item: number }): ItemReplay => {
    const states = taskOf(record.task).itemStates;
    let item = states.get(record.item);
    if (!item) {
      item = { turns: [] };
      states.set(record.item, item);
    }
    return item;
  };

  for (const record of records) {
    switch (record.type) {
      case 'session-start':
        start ??= record;
        break;
      case 'task-start':
        applyTaskStart(tasks, record);
        break;
      case 'item-start': {
        const existing = taskOf(record.task).itemStates.get(record.item);
        const item: ItemReplay = record.resumed && existing ? reopen(existing) : { turns: [] };
        if (record.prompt !== undefined) item.prompt = record.prompt;
        taskOf(record.task).itemStates.set(record.item, item);
        break;
      }
      case 'turn-commit': {
        const task = taskOf(record.task);
        const item = reopen(itemOf(record));
        item.turns.push({
          turn: record.turn,
          agent: record.agent,
          message: record.message,
          usage: record.usage,
          toolResults: new Map(),
          intents: new Set(),
        });
        task.usage = addUsage(task.usage, record.usage);
        task.requests++;
        break;
      }
      case 'tool-intent':
        turnWithCall(itemOf(record), record.callId)?.intents.add(record.callId);
        break;
      case 'tool-result':
        turnWithCall(itemOf(record), record.callId)?.toolResults.set(record.callId, {
          content: record.content,
          status: record.status,
          ...(record.handoffTo !== undefined && { handoffTo: record.handoffTo }),
          ...(record.record !== undefined && { record: record.record }),
        });
        break;
      case 'item-end':
        Object.assign(itemOf(record), ending(record));
        break;
      case 'task-end':
        Object.assign(taskOf(record.task), ending(record), {
          usage: record.usage,
          durationMs: record.durationMs,
        });
        break;
      case 'request-attempts': {
        attempts.set(record.key, Math.max(attempts.get(record.key) ?? 0, record.attempts));
        if (record.task !== undefined) {
          const task = taskOf(record.task);
          const errorClass = record.errorClass ?? 'unknown';
          task.retries[errorClass] = (task.retries[errorClass] ?? 0) + 1;
          task.requests++;
        }
        break;
      }
      case 'shard-start':
      case 'shard-end':
      case 'shard-merge':
        applyShardRecord(shards, record);
        break;
      default:
        assertNever(record, 'journal record');
    }
  }
  return { ...(start && { start }), tasks, attempts, shards };
}

function newTask(index: number, name: string): TaskReplay {
  return {
    index,
    name,
    status: 'running',
    itemCount: 0,
    usage: ZERO_USAGE,
    requests: 0,
    retries: {},
    itemStates: new Map(),
  };
}

function applyTaskStart(tasks: Map<number, TaskReplay>, record: JournalRecordOf<'task-start'>) {
  const existing = tasks.get(record.task);
  const task = record.resumed && existing ? existing : newTask(record.task, record.name);
  if (task === existing) {
    task.status = 'running';
    delete task.result;
    delete task.resultFile;
    delete task.error;
    delete task.durationMs;
  }
  task.name = record.name;
  task.itemCount = record.itemCount;
  if (record.items !== undefined) task.items = record.items;
  if (record.models !== undefined) task.models = record.models;
  if (record.model !== undefined) task.model = record.model;
  if (record.outputId !== undefined) task.outputId = record.outputId;
  tasks.set(record.task, task);
}

/** An item continuing after an end or a new turn is unfinished again. */
function reopen(item: ItemReplay): ItemReplay {
  delete item.status;
  delete item.result;
  delete item.resultFile;
  delete item.error;
  return item;
}

function ending(record: JournalRecordOf<'item-end'> | JournalRecordOf<'task-end'>) {
  return {
    status: record.status,
    result: record.result,
    resultFile: record.resultFile,
    error: record.error,
  };
}

/** The turn that issued `callId` (searched from the newest), else the newest turn. */
function turnWithCall(item: ItemReplay, callId: string): TurnReplay | undefined {
  for (let index = item.turns.length - 1; index >= 0; index--) {
    const turn = item.turns[index];
    if (turn?.message.toolCalls.some((call) => call.id === callId)) return turn;
  }
  return item.turns.at(-1);
}
