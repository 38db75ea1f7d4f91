import { TaskflowError, errorMessage } from '../errors.js';
import {
  journalRecordSchema,
  type JournalRecord,
  type JournalRecordInput,
} from '../sessions/journal-records.js';

/**
 * A branch's journal record as it travels through Redis: what the worker's recorder
 * appended, with the time it did (the coordinator's journal stamps its own `seq`).
 */
export type QueuedRecord = JournalRecordInput & { readonly at: string };

/** Record types a branch writes (its item, its turns, its tool calls, its retries). */
const BRANCH_TYPES = new Set([
  'item-start',
  'turn-commit',
  'tool-intent',
  'tool-result',
  'item-end',
  'request-attempts',
]);

/**
 * The branch (`task`, `item` = ordinal) a journal record belongs to, if any. A
 * `request-attempts` record names its branch in its key (`<task>.<ordinal>.turn<N>`).
 */
export function branchOfRecord(
  record: JournalRecordInput,
): { readonly task: number; readonly item: number } | undefined {
  if (!BRANCH_TYPES.has(record.type)) return undefined;
  if ('item' in record && 'task' in record) return { task: record.task, item: record.item };
  if (record.type === 'request-attempts') {
    const match = /^(\d+)\.(\d+)\./.exec(record.key);
    if (match) return { task: Number(match[1]), item: Number(match[2]) };
  }
  return undefined;
}

/** The records of one branch among a journal's, in order, as they travel. */
export function recordsOfBranch(
  records: readonly JournalRecord[],
  taskIndex: number,
  ordinal: number,
): QueuedRecord[] {
  const own: QueuedRecord[] = [];
  for (const record of records) {
    const branch = branchOfRecord(record);
    if (branch?.task !== taskIndex || branch.item !== ordinal) continue;
    const { seq: _seq, ...queued } = record;
    own.push(queued);
  }
  return own;
}

/**
 * Reads one queued record and checks that it is a record of the branch it was filed under.
 *
 * @throws TaskflowError 'session' naming the branch when it is not
 */
export function parseQueuedRecord(text: string, taskIndex: number, ordinal: number): QueuedRecord {
  const where = `branch ${ordinal} of task ${taskIndex + 1}`;
  let parsed: JournalRecord;
  try {
    parsed = journalRecordSchema.parse({ ...(JSON.parse(text) as object), seq: 1 });
  } catch (error) {
    throw new TaskflowError(
      'session',
      `a queued record of ${where} is damaged: ${errorMessage(error)}`,
    );
  }
  const branch = branchOfRecord(parsed);
  if (branch?.task !== taskIndex || branch.item !== ordinal) {
    throw new TaskflowError(
      'session',
      `a queued ${parsed.type} record does not belong to ${where}`,
    );
  }
  const { seq: _seq, ...queued } = parsed;
  return queued;
}

/** Stamps positions as `seq` so the branch's records replay like a journal's. */
export function asJournalRecords(records: readonly QueuedRecord[]): JournalRecord[] {
  return records.map((record, position) => ({ ...record, seq: position + 1 }));
}
