import { describe, expect, it } from 'vitest';
import { TaskflowError } from '../../src/errors.js';
import {
  asJournalRecords,
  branchOfRecord,
  parseQueuedRecord,
  recordsOfBranch,
} from '../../src/queue/branch-records.js';
import type { JournalRecord } from '../../src/sessions/journal-records.js';
import { replayJournal } from '../../src/sessions/replay.js';

const at = '2026-12-02T10:00:00.000Z';
const usage = { inputTokens: 3, outputTokens: 1 };

/** A journal with records of two branches of task 1 and of other tasks. */
const journal: JournalRecord[] = [
  { seq: 1, at, type: 'task-start', task: 1, name: 'fan', itemCount: 2 },
  { seq: 2, at, type: 'item-start', task: 1, item: 0, prompt: 'p0' },
  { seq: 3, at, type: 'item-start', task: 1, item: 1, prompt: 'p1' },
  {
    seq: 4,
    at,
    type: 'turn-commit',
    task: 1,
    item: 1,
    turn: 1,
    agent: 'a',
    message: { content: '', toolCalls: [{ id: 'c1', name: 't', arguments: '{}' }] },
    usage,
  },
  {
    seq: 5,
    at,
    type: 'request-attempts',
    key: '1.1.turn2',
    attempts: 1,
    errorClass: 'rate',
    task: 1,
  },
  { seq: 6, at, type: 'request-attempts', key: '1.10.turn1', attempts: 1, task: 1 },
  { seq: 7, at, type: 'item-end', task: 2, item: 1, status: 'succeeded' },
] as JournalRecord[];

describe('branch records', () => {
  it('a branch owns its item, turn and tool records and the retries its request keys name', () => {
    expect(recordsOfBranch(journal, 1, 1).map((record) => record.type)).toEqual([
      'item-start',
      'turn-commit',
      'request-attempts',
    ]);
    expect(recordsOfBranch(journal, 1, 0)).toHaveLength(1);
    // Branch 10's key is not branch 1's; task-start belongs to the task, not a branch.
    expect(branchOfRecord({ type: 'request-attempts', key: '1.10.turn1', attempts: 1 })).toEqual({
      task: 1,
      item: 10,
    });
    expect(branchOfRecord(journal[0]!)).toBeUndefined();
  });

  it('queued records replay as the journal did', () => {
    const own = recordsOfBranch(journal, 1, 1);
    const item = replayJournal(asJournalRecords(own)).tasks.get(1)?.itemStates.get(1);
    expect(item?.prompt).toBe('p1');
    expect(item?.turns).toHaveLength(1);
    expect(item?.turns[0]?.usage).toEqual(usage);
  });

  it('a queued record is read back only when it is a valid record of its branch', () => {
    const text = JSON.stringify(recordsOfBranch(journal, 1, 1)[1]);
    expect(parseQueuedRecord(text, 1, 1)).toMatchObject({ type: 'turn-commit', at });
    const refused = (input: string, task: number, ordinal: number) => {
      try {
        parseQueuedRecord(input, task, ordinal);
      } catch (error) {
        expect(error).toBeInstanceOf(TaskflowError);
        return (error as TaskflowError).message;
      }
      throw new Error('accepted');
    };
    expect(refused(text, 1, 0)).toBe(
      'a queued turn-commit record does not belong to branch 0 of task 2',
    );
    expect(refused('{"type":"turn-commit"', 1, 1)).toMatch(
      /^a queued record of branch 1 of task 2 is damaged: /,
    );
    expect(refused(JSON.stringify({ type: 'item-end', task: 1, item: 1, at }), 1, 1)).toMatch(
      /is damaged/,
    );
  });
});
