import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TaskflowError } from '../../src/errors.js';
import type { JournalRecord, JournalRecordInput } from '../../src/sessions/journal-records.js';
import { readManifestFile } from '../../src/sessions/manifest.js';
import {
  branchRecords,
  mergeBranch,
  recordIdentity,
} from '../../src/sessions/merge-branch-records.js';
import { planShardMerge, type ShardCopy } from '../../src/sessions/merge-shard-copies.js';
import { readJournal } from '../../src/sessions/read-journal.js';
import { rebuildManifest } from '../../src/sessions/rebuild-manifest.js';
import { replayJournal } from '../../src/sessions/replay.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/sessions/', import.meta.url));

/** Stamps records with increasing seq and a time per record (`at` identifies a copy). */
function stamp(inputs: readonly JournalRecordInput[], from = 1, minute = 0): JournalRecord[] {
  return inputs.map((input, index) => ({
    seq: from + index,
    at: new Date(Date.UTC(2025, 0, 1, 0, minute, from + index)).toISOString(),
    ...input,
  }));
}

const usage = { inputTokens: 10, outputTokens: 1 };
const turn = (item: number, content: string): JournalRecordInput => ({
  type: 'turn-commit',
  task: 1,
  item,
  turn: 1,
  agent: 'lead',
  message: { content, toolCalls: [] },
  usage,
});
const itemEnd = (item: number, value: string): JournalRecordInput => ({
  type: 'item-end',
  task: 1,
  item,
  status: 'succeeded',
  result: { value, source: { text: value } },
});
const itemStart = (item: number, resumed = false): JournalRecordInput => ({
  type: 'item-start',
  task: 1,
  item,
  prompt: `item ${item}`,
  ...(resumed && { resumed: true }),
});

const readResult = (_side: 'session' | 'copy', item: { result?: unknown }) => item.result as never;
const where = { task: 1, ordinal: 0 };

describe('mergeBranch', () => {
  it('appends what the copy has beyond the session and holds what the session has already', () => {
    const common = stamp([itemStart(0)]);
    const more = stamp([turn(0, 'a'), itemEnd(0, 'a')], 2, 1);
    const merged = mergeBranch(common, [...common, ...more], readResult, where);
    expect(merged).toEqual({ kind: 'append', records: more });
    expect(mergeBranch([...common, ...more], common, readResult, where)).toEqual({
      kind: 'held',
    });
    // Positions differ between journals; identity does not.
    const moved = more.map((record) => ({ ...record, seq: record.seq + 40 }));
    expect(mergeBranch([...common, ...moved], [...common, ...more], readResult, where)).toEqual({
      kind: 'held',
    });
  });

  it('refuses two different results, holds equal ones, takes a result only the copy has', () => {
    const mine = stamp([itemStart(0), turn(0, 'a'), itemEnd(0, 'a')]);
    const sameResult = stamp([itemStart(0), turn(0, 'a'), itemEnd(0, 'a')], 1, 5);
    const otherResult = stamp([itemStart(0), turn(0, 'b'), itemEnd(0, 'b')], 1, 5);
    expect(mergeBranch(mine, otherResult, readResult, where)).toEqual({ kind: 'conflict' });
    expect(mergeBranch(mine, sameResult, readResult, where)).toEqual({ kind: 'held' });

    const unfinished = stamp([itemStart(0), turn(0, 'x')], 1, 9);
    expect(mergeBranch(unfinished, sameResult, readResult, where)).toEqual({
      kind: 'append',
      records: sameResult,
    });
    expect(mergeBranch(mine, unfinished, readResult, where)).toEqual({ kind: 'kept' });
  });

  it('takes a copy that diverged from its last fresh start, so replay restarts the item there', () => {
    const shared = stamp([itemStart(0), turn(0, 'a')]);
    const mine = [...shared, ...stamp([itemStart(0, true)], 3, 2)];
    const theirs = [...shared, ...stamp([itemStart(0), turn(0, 'b'), itemEnd(0, 'b')], 3, 7)];
    const merged = mergeBranch(mine, theirs, readResult, where);
    expect(merged).toEqual({ kind: 'append', records: theirs.slice(2) });
    const replayed = replayJournal([...mine, ...(merged.kind === 'append' ? merged.records : [])]);
    expect(replayed.tasks.get(1)?.itemStates.get(0)).toMatchObject({
      status: 'succeeded',
      result: { value: 'b' },
    });
  });
});

describe('branchRecords', () => {
  it('groups a task’s branch records and the attempt counts of their requests by ordinal', () => {
    const records = stamp([
      itemStart(0),
      itemStart(2),
      { type: 'request-attempts', key: '1.2.turn1', attempts: 1, errorClass: 'network', task: 1 },
      { type: 'request-attempts', key: '0.2.turn1', attempts: 1, task: 0 },
      { type: 'item-start', task: 0, item: 0 },
      itemEnd(2, 'c'),
    ]);
    const groups = branchRecords(records, 1);
    expect([...groups.keys()]).toEqual([0, 2]);
    expect(groups.get(2)?.map((record) => record.type)).toEqual([
      'item-start',
      'request-attempts',
      'item-end',
    ]);
    expect(recordIdentity({ ...(records[0] as JournalRecord), seq: 99 })).toBe(
      recordIdentity(records[0] as JournalRecord),
    );
  });
});

describe('planShardMerge', () => {
  const { records } = readJournal(path.join(FIXTURES, 'journal-v1-shards.jsonl'));
  const manifest = readManifestFile(path.join(FIXTURES, 'manifest-v2.json'));
  // The session as planned: everything up to the fan-out's task-start.
  const planned = records.slice(0, 4);
  const session = { id: manifest.id, dir: '/nowhere', manifest, records: planned };
  const copy = (changes: Partial<ShardCopy> = {}): ShardCopy => ({
    shown: 'shard-1',
    folder: '/nowhere/shard-1',
    manifest,
    records,
    ...changes,
  });
  const refusal = (copies: ShardCopy[]): string => {
    try {
      planShardMerge(session, 1, copies);
    } catch (error) {
      if (error instanceof TaskflowError) return error.message;
      throw error;
    }
    throw new Error('expected a refusal');
  };

  it('takes the branch and shard records of a copy, then nothing from the same copy again', () => {
    const plan = planShardMerge(session, 1, [copy(), copy({ shown: 'again' })]);
    expect(plan.copies.map((entry) => [entry.shown, entry.branches, entry.records])).toEqual([
      ['shard-1', [0, 2], 8],
      ['again', [], 0],
    ]);
    expect(plan.batches).toHaveLength(1);
    expect(plan.batches[0]?.marker).toMatchObject({ type: 'shard-merge', shards: ['1/2'] });
  });

  it('marks the shards of a merge cut short before its marker, adding no record twice', () => {
    const cutShort = { ...session, records: records.slice(0, 12) };
    const plan = planShardMerge(cutShort, 1, [copy()]);
    expect(plan.batches.map((batch) => [batch.records.length, batch.marker.type])).toEqual([
      [0, 'shard-merge'],
    ]);
    const done = { ...session, records };
    expect(planShardMerge(done, 1, [copy()]).batches).toEqual([]);
  });

  it('refuses another session, another fingerprint and another branch list, naming the copy', () => {
    expect(refusal([copy({ manifest: { ...manifest, id: 'ffffffffffff' } })])).toBe(
      `refusing to merge shard-1: it holds another session (ffffffffffff, not ${manifest.id})`,
    );
    const fingerprint = { ...manifest.fingerprint, digest: 'other' };
    expect(refusal([copy({ manifest: { ...manifest, fingerprint } })])).toMatch(
      /^refusing to merge shard-1: another fingerprint/,
    );
    const replanned = records.map((record) =>
      record.type === 'task-start' && record.task === 1
        ? { ...record, items: ['f', 'g', 'x'] }
        : record,
    );
    expect(refusal([copy({ records: replanned })])).toBe(
      'refusing to merge shard-1: another branch list for task 2 "audit each" (other items or models)',
    );
  });
});

describe('version 2 session fixtures', () => {
  it('load: a sharded manifest, and a journal with shard records replayed into shard runs', () => {
    const manifest = readManifestFile(path.join(FIXTURES, 'manifest-v2.json'));
    expect(manifest.status).toBe('sharded');
    const { records, warnings } = readJournal(path.join(FIXTURES, 'journal-v1-shards.jsonl'));
    expect(warnings).toEqual([]);
    const rebuilt = rebuildManifest(manifest.id, records);
    expect(rebuilt.shards).toEqual(manifest.shards);
    expect(replayJournal(records).tasks.get(1)).toMatchObject({ models: ['fast'], itemCount: 3 });
  });
});
