import type { TaskResult } from '../engine/run-types.js';
import type { JournalRecord } from './journal-records.js';
import { replayJournal, type ItemReplay } from './replay.js';

/** Request keys are `<task>.<branch>.turn<n>` (run-agent.ts): the branch a retry count is of. */
const REQUEST_KEY = /^(\d+)\.(\d+)\./;

/**
 * The records of a task's branches, per ordinal, in journal order: item starts and ends,
 * turns, tool intents and results, and the attempt counts of the branch's requests.
 */
export function branchRecords(
  records: readonly JournalRecord[],
  task: number,
): Map<number, JournalRecord[]> {
  const branches = new Map<number, JournalRecord[]>();
  const add = (ordinal: number, record: JournalRecord) => {
    const list = branches.get(ordinal);
    if (list) list.push(record);
    else branches.set(ordinal, [record]);
  };
  for (const record of records) {
    switch (record.type) {
      case 'item-start':
      case 'turn-commit':
      case 'tool-intent':
      case 'tool-result':
      case 'item-end':
        if (record.task === task) add(record.item, record);
        break;
      case 'request-attempts': {
        const match = REQUEST_KEY.exec(record.key);
        if (record.task === task && Number(match?.[1]) === task) add(Number(match?.[2]), record);
        break;
      }
      default:
        break;
    }
  }
  return branches;
}

/**
 * What identifies a record across copies of one journal: all of it but its position
 * (`seq`), keys sorted. A copied record keeps its `at`, so a record both journals hold from
 * before they were copied apart, or one merged before, is the same record.
 */
export function recordIdentity(record: JournalRecord): string {
  const { seq: _seq, ...rest } = record;
  return canonicalJson(rest);
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, entry: unknown) =>
    entry !== null && typeof entry === 'object' && !Array.isArray(entry)
      ? Object.fromEntries(Object.entries(entry).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : entry,
  );
}

/** How one branch of a shard copy is folded into the session. */
export type BranchMerge =
  /** The session holds all the copy has (merged before, or gone further since). */
  | { readonly kind: 'held' }
  /** Records the session lacks, to append in order. */
  | { readonly kind: 'append'; readonly records: readonly JournalRecord[] }
  /** Both finished the branch with different results. */
  | { readonly kind: 'conflict' }
  /** Both went on differently and the copy did not finish it: the session's is kept. */
  | { readonly kind: 'kept' };

/** A branch's final state in a list of its records (replayed alone). */
export function branchState(
  records: readonly JournalRecord[],
  task: number,
  ordinal: number,
): ItemReplay | undefined {
  return replayJournal(records).tasks.get(task)?.itemStates.get(ordinal);
}

/**
 * Compares one branch's records in the session and in a copy. The copy's records extend
 * the session's (the usual case: the shard ran it, the session did not) → append the rest;
 * the session's extend the copy's → held. Otherwise both went on from a common start
 * (the branch ran twice): equal results are held, different results conflict, a branch
 * only the copy finished is taken from the copy's last fresh start (replay starts an item
 * afresh there), and one only the session finished is kept.
 *
 * `resultOf` reads a finished branch's result (inline or from its side file).
 */
export function mergeBranch(
  sessionRecords: readonly JournalRecord[],
  copyRecords: readonly JournalRecord[],
  resultOf: (side: 'session' | 'copy', item: ItemReplay) => TaskResult | undefined,
  where: { task: number; ordinal: number },
): BranchMerge {
  const held = sessionRecords.map(recordIdentity);
  const offered = copyRecords.map(recordIdentity);
  const common = commonPrefix(held, offered);
  if (common === offered.length) return { kind: 'held' };
  if (common === held.length) return { kind: 'append', records: copyRecords.slice(common) };
  const mine = branchState(sessionRecords, where.task, where.ordinal);
  const theirs = branchState(copyRecords, where.task, where.ordinal);
  const mineDone = mine?.status === 'succeeded';
  const theirsDone = theirs?.status === 'succeeded';
  if (mineDone && theirsDone && mine && theirs) {
    const same =
      canonicalJson(resultOf('session', mine)) === canonicalJson(resultOf('copy', theirs));
    return same ? { kind: 'held' } : { kind: 'conflict' };
  }
  if (!theirsDone) return { kind: 'kept' };
  const restart = copyRecords.findLastIndex(
    (record) => record.type === 'item-start' && record.resumed !== true,
  );
  return { kind: 'append', records: copyRecords.slice(Math.max(0, restart)) };
}

function commonPrefix(a: readonly string[], b: readonly string[]): number {
  let length = 0;
  while (length < a.length && length < b.length && a[length] === b[length]) length++;
  return length;
}
