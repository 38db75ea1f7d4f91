import { TaskflowError } from '../errors.js';
import { addUsage, ZERO_USAGE } from '../model/types.js';
import type { JournalRecord } from './journal-records.js';
import {
  MANIFEST_SCHEMA_VERSION,
  pendingTask,
  type Manifest,
  type ManifestTask,
  type SessionStatus,
} from './manifest.js';
import { replayJournal, type TaskReplay } from './replay.js';
import { preview } from '../text-preview.js';

/**
 * A manifest rebuilt from the journal (manifest.json lost). Status: `succeeded` when every
 * known task ended succeeded or skipped, `failed` when the last task to end failed,
 * else `interrupted` (the run stopped without saying why). Facts the journal does not
 * hold get safe defaults (no wait time, no resumeNotBefore).
 *
 * @throws TaskflowError 'session' when the journal has no `session-start` record
 */
export function rebuildManifest(id: string, records: readonly JournalRecord[]): Manifest {
  const replay = replayJournal(records);
  const start = replay.start;
  if (!start) {
    throw new TaskflowError(
      'session',
      `session ${id}: cannot rebuild the manifest: the journal has no session-start record`,
    );
  }
  const names = start.taskNames ?? [];
  const count = Math.max(names.length, ...[...replay.tasks.keys()].map((index) => index + 1));
  const tasks: ManifestTask[] = [];
  for (let index = 0; index < count; index++) {
    const replayed = replay.tasks.get(index);
    tasks.push(
      replayed ? manifestTask(replayed, names[index]) : pendingTask(index, names[index] ?? ''),
    );
  }

  let lastEnd: Extract<JournalRecord, { type: 'task-end' }> | undefined;
  for (const record of records) if (record.type === 'task-end') lastEnd = record;
  const allDone =
    names.length > 0 &&
    tasks.every((task) => task.status === 'succeeded' || task.status === 'skipped');
  const status: SessionStatus = allDone
    ? 'succeeded'
    : lastEnd?.status === 'failed' && replay.tasks.get(lastEnd.task)?.status === 'failed'
      ? 'failed'
      : 'interrupted';

  const outputs: Record<string, string> = {};
  for (const task of replay.tasks.values()) {
    if (task.outputId === undefined || task.status !== 'succeeded') continue;
    outputs[task.outputId] = task.result
      ? preview(JSON.stringify(task.result.value) ?? '')
      : task.resultFile !== undefined
        ? `(stored in ${task.resultFile})`
        : '';
  }

  const updatedAt = records.at(-1)?.at ?? start.at;
  const manifest: Manifest = {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    id,
    status,
    createdAt: start.at,
    updatedAt,
    taskflow: start.taskflow,
    globals: start.globals,
    fingerprint: start.fingerprint,
    runner: start.runner,
    tasks,
    usage: tasks.reduce((sum, task) => addUsage(sum, task.usage), ZERO_USAGE),
    outputs,
    journalSeq: records.reduce((highest, record) => Math.max(highest, record.seq), 0),
    ...(replay.shards.length > 0 && { shards: replay.shards }),
  };
  if (start.modelConfig !== undefined) manifest.modelConfig = start.modelConfig;
  if (start.workingDirectory !== undefined) manifest.workingDirectory = start.workingDirectory;
  if (start.searchPaths !== undefined) manifest.searchPaths = start.searchPaths;
  if (status !== 'interrupted' && lastEnd) manifest.finishedAt = lastEnd.at;
  if (status === 'failed' && lastEnd?.error) {
    manifest.error = { ...lastEnd.error, task: lastEnd.task };
  }
  return manifest;
}

function manifestTask(task: TaskReplay, knownName: string | undefined): ManifestTask {
  const entry: ManifestTask = {
    index: task.index,
    name: task.name || knownName || '',
    status: task.status,
    usage: task.usage,
    requests: task.requests,
    retries: { ...task.retries },
    waitMs: 0,
  };
  if (task.items !== undefined || task.itemStates.size > 1) {
    const states = [...task.itemStates.values()];
    entry.items = {
      total: task.itemCount,
      succeeded: states.filter((item) => item.status === 'succeeded').length,
      failed: states.filter((item) => item.status === 'failed').length,
    };
  }
  if (task.durationMs !== undefined) entry.durationMs = task.durationMs;
  return entry;
}
