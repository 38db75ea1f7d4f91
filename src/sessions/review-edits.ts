import type { TaskFingerprint } from './manifest.js';
import type { ReplayState } from './replay.js';
import type { TaskflowFingerprints } from './task-fingerprints.js';

/** How far a session got with a task: finished (succeeded or skipped), started, or neither. */
export type TaskProgress = 'finished' | 'started' | 'not-started';

/**
 * Parts that decide a fan-out's branches (items x models). A started task's finished
 * branches are matched to its recorded items by position, so these may not change under it.
 */
const ITEM_LIST_PARTS = new Set(['repeat_prompt', 'over', 'models']);

/** Task progress as the journal records it (a failed task is started: resume runs it again). */
export function progressFromReplay(replay: ReplayState): (taskIndex: number) => TaskProgress {
  return (taskIndex) => {
    const task = replay.tasks.get(taskIndex);
    if (!task) return 'not-started';
    return task.status === 'succeeded' || task.status === 'skipped' ? 'finished' : 'started';
  };
}

export interface TaskEdit {
  readonly index: number;
  /** The task's current name (its recorded one when it was removed). */
  readonly name: string;
  readonly progress: TaskProgress;
  /** Parts that differ (added, removed or changed), sorted; empty for an added/removed task. */
  readonly parts: readonly string[];
  readonly change: 'edited' | 'added' | 'removed';
  /** Resuming over this edit would reuse work the edit invalidates: needs --force. */
  readonly refused: boolean;
}

export interface EditReview {
  readonly tasks: readonly TaskEdit[];
  /** Taskflow-level parts that changed (`globals`, `model_config`): the session keeps its own. */
  readonly kept: readonly string[];
}

function differingParts(before: TaskFingerprint, after: TaskFingerprint): string[] {
  const names = new Set([...Object.keys(before.parts), ...Object.keys(after.parts)]);
  return [...names].filter((name) => before.parts[name] !== after.parts[name]).sort();
}

/**
 * Compares the taskflow a session ran with the one loaded now, task by task (tasks are
 * identified by position). An edit is refused when it touches work the session keeps:
 * a finished task (edited or removed), or the item list of a started task (or its removal).
 * Edits to tasks that have not started, and to the prompt, agents, tools, ... of a started
 * task (its finished branches are kept, the rest run with the edit) are allowed.
 */
export function reviewEdits(
  before: {
    readonly tasks: readonly TaskFingerprint[];
    readonly taskflow?: Record<string, string>;
  },
  after: TaskflowFingerprints,
  progressOf: (taskIndex: number) => TaskProgress,
): EditReview {
  const edits: TaskEdit[] = [];
  const count = Math.max(before.tasks.length, after.tasks.length);
  for (let index = 0; index < count; index++) {
    const old = before.tasks[index];
    const now = after.tasks[index];
    const progress = progressOf(index);
    if (!old && now) {
      edits.push({ index, name: now.name, progress, parts: [], change: 'added', refused: false });
    } else if (old && !now) {
      edits.push({
        index,
        name: old.name,
        progress,
        parts: [],
        change: 'removed',
        refused: progress !== 'not-started',
      });
    } else if (old && now) {
      const parts = differingParts(old, now);
      if (parts.length === 0) continue;
      const refused =
        progress === 'finished' ||
        (progress === 'started' && parts.some((part) => ITEM_LIST_PARTS.has(part)));
      edits.push({ index, name: now.name, progress, parts, change: 'edited', refused });
    }
  }
  const recorded = before.taskflow;
  const kept = recorded
    ? Object.keys({ ...recorded, ...after.taskflow })
        .filter((part) => recorded[part] !== after.taskflow[part])
        .sort()
    : [];
  return { tasks: edits, kept };
}

/** One line per edit for messages: `task 2 "answer each" (started): user_prompt`. */
export function describeTaskEdit(edit: TaskEdit): string {
  const label = `task ${edit.index + 1} ${JSON.stringify(edit.name)}`;
  const state = {
    finished: 'finished',
    started: 'in progress',
    'not-started': 'not started',
  }[edit.progress];
  switch (edit.change) {
    case 'added':
      return `${label} (${state}): added`;
    case 'removed':
      return `${label} (${state}): removed`;
    case 'edited': {
      const itemList = edit.parts.filter((part) => ITEM_LIST_PARTS.has(part));
      const reason =
        edit.progress === 'started' && itemList.length > 0
          ? `; its recorded item list depends on ${itemList.join(', ')}`
          : '';
      return `${label} (${state}): ${edit.parts.join(', ')} changed${reason}`;
    }
  }
}
