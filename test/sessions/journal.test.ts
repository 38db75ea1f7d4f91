import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TaskflowError } from '../../src/errors.js';
import { JournalWriter } from '../../src/sessions/journal.js';
import type { JournalRecordInput } from '../../src/sessions/journal-records.js';
import { readJournal } from '../../src/sessions/read-journal.js';
import { readTaskResult } from '../../src/sessions/task-result-file.js';
import { tempDir } from './session-fixtures.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/sessions/', import.meta.url));

const intent = (callId: string): JournalRecordInput => ({
  type: 'tool-intent',
  task: 0,
  item: 0,
  callId,
  toolbox: 'echo',
  tool: 'echo',
  arguments: '{}',
});

function journalPath(): string {
  return path.join(tempDir(), 'journal.jsonl');
}

function caught(action: () => unknown): TaskflowError {
  try {
    action();
  } catch (error) {
    if (error instanceof TaskflowError) return error;
    throw error;
  }
  throw new Error('expected a TaskflowError');
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('journal', () => {
  it('writes one JSON line per record and continues seq after reopening', () => {
    const file = journalPath();
    const first = JournalWriter.open(file);
    expect(first.append(intent('a')).seq).toBe(1);
    expect(first.append(intent('b')).seq).toBe(2);
    first.close();
    const second = JournalWriter.open(file);
    expect(second.existing.records.map((record) => record.seq)).toEqual([1, 2]);
    expect(second.append(intent('c')).seq).toBe(3);
    second.close();
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe('');
    expect(JSON.parse(lines[2] ?? '')).toMatchObject({ seq: 3, type: 'tool-intent', callId: 'c' });
  });

  it('appends each record with a single write call', () => {
    const writer = JournalWriter.open(journalPath());
    const writeSync = vi.spyOn(fs, 'writeSync');
    writer.append(intent('a'));
    expect(writeSync).toHaveBeenCalledTimes(1);
    writer.close();
  });

  it('fsyncs at sync(), and once per event-loop turn for { sync: true } boundaries', async () => {
    const writer = JournalWriter.open(journalPath());
    const fsyncSync = vi.spyOn(fs, 'fsyncSync');
    const fsync = vi.spyOn(fs, 'fsync');
    writer.append(intent('a'));
    expect(fsyncSync).not.toHaveBeenCalled();
    writer.sync();
    expect(fsyncSync).toHaveBeenCalledTimes(1);
    // Three boundaries in one turn (concurrent items committing turns) share one fsync,
    // off the main thread; durable() resolves after it.
    writer.append(intent('b'), { sync: true });
    writer.append(intent('c'), { sync: true });
    writer.append(intent('d'), { sync: true });
    expect(fsync).not.toHaveBeenCalled();
    await writer.durable();
    expect(fsync).toHaveBeenCalledTimes(1);
    writer.append(intent('e'), { sync: true });
    await writer.durable();
    expect(fsync).toHaveBeenCalledTimes(2);
    expect(fsyncSync).toHaveBeenCalledTimes(1);
    writer.close();
  });

  it('ignores a torn final line and truncates it before appending', () => {
    const file = journalPath();
    const writer = JournalWriter.open(file);
    writer.append(intent('a'));
    writer.close();
    const whole = JSON.stringify({ seq: 2, type: 'tool-intent', at: new Date().toISOString() });
    fs.appendFileSync(file, whole.slice(0, 20));
    const read = readJournal(file);
    expect(read.records).toHaveLength(1);
    expect(read.tornLines).toBe(1);
    expect(read.warnings[0]).toMatch(/:2: ignored an incomplete final line/);

    const reopened = JournalWriter.open(file);
    expect(reopened.append(intent('b')).seq).toBe(2);
    reopened.close();
    const again = readJournal(file);
    expect(again.tornLines).toBe(0);
    expect(again.records.map((record) => record.seq)).toEqual([1, 2]);
  });

  it('ignores a newline-terminated final line that is not JSON', () => {
    const file = journalPath();
    const writer = JournalWriter.open(file);
    writer.append(intent('a'));
    writer.close();
    fs.appendFileSync(file, '\0\0\0\n');
    expect(readJournal(file)).toMatchObject({ tornLines: 1, lastSeq: 1 });
  });

  it('reports a corrupt line in the middle with its line number', () => {
    const file = journalPath();
    const at = new Date().toISOString();
    const line = (seq: number): string => JSON.stringify({ seq, at, ...intent(`c${seq}`) });
    fs.writeFileSync(file, [line(1), '{"seq": 2, "ty', line(3), ''].join('\n'));
    const error = caught(() => readJournal(file));
    expect(error.code).toBe('session');
    expect(error.line).toBe(2);
    expect(error.message).toMatch(/journal\.jsonl:2: corrupt journal line/);
    expect(() => JournalWriter.open(file)).toThrow(/:2: corrupt journal line/);
  });

  it('rejects an invalid record of a known type, skips unknown types with a warning', () => {
    const file = journalPath();
    const at = new Date().toISOString();
    fs.writeFileSync(
      file,
      [
        JSON.stringify({ seq: 1, at, type: 'from-the-future', x: 1 }),
        JSON.stringify({ seq: 2, at, ...intent('a') }),
        '',
      ].join('\n'),
    );
    const read = readJournal(file);
    expect(read.records.map((record) => record.seq)).toEqual([2]);
    expect(read.warnings[0]).toMatch(
      /:1: skipped a journal record of unknown type "from-the-future"/,
    );

    fs.writeFileSync(file, `${JSON.stringify({ seq: 1, at, type: 'tool-intent' })}\n`);
    const error = caught(() => readJournal(file));
    expect(error.message).toMatch(/:1: invalid journal record/);
    expect(error.details.join(' ')).toMatch(/callId/);
  });

  it('refuses a journal of a newer schema version', () => {
    const file = journalPath();
    const at = new Date().toISOString();
    fs.writeFileSync(
      file,
      `${JSON.stringify({ seq: 1, at, type: 'session-start', schemaVersion: 2 })}\n`,
    );
    expect(caught(() => readJournal(file)).message).toMatch(
      /journal schema version 2 is newer than this taskflow supports \(1\)/,
    );
  });

  it('moves a result larger than 64 KiB to a side file', () => {
    const file = journalPath();
    const sessionDir = path.dirname(file);
    const writer = JournalWriter.open(file);
    const big = { value: 'x'.repeat(70_000), source: { text: 'x'.repeat(70_000) } };
    const small = { value: 1, source: { text: '1' } };
    const usage = { inputTokens: 1, outputTokens: 1 };
    const bigEnd = writer.append({
      type: 'task-end',
      task: 3,
      status: 'succeeded',
      result: big,
      usage,
      durationMs: 5,
    });
    const smallEnd = writer.append({
      type: 'task-end',
      task: 4,
      status: 'succeeded',
      result: small,
      usage,
      durationMs: 5,
    });
    const bigItem = writer.append({
      type: 'item-end',
      task: 5,
      item: 2,
      status: 'succeeded',
      result: big,
    });
    writer.close();
    expect(bigEnd).toMatchObject({ resultFile: 'results/3.json' });
    expect(bigEnd).not.toHaveProperty('result');
    expect(bigItem).toMatchObject({ resultFile: 'results/5-2.json' });
    expect(smallEnd).toMatchObject({ result: small });
    expect(fs.statSync(file).size).toBeLessThan(2000);
    const ends = readJournal(file).records.filter((record) => record.type === 'task-end');
    expect(ends.map((record) => readTaskResult(sessionDir, record))).toEqual([big, small]);
    expect(fs.readdirSync(path.join(sessionDir, 'results')).sort()).toEqual(['3.json', '5-2.json']);
  });

  it('keeps loading the version 1 fixture', () => {
    const read = readJournal(path.join(FIXTURES, 'journal-v1.jsonl'));
    expect(read.warnings).toEqual([]);
    expect(read.records.map((record) => record.type)).toEqual([
      'session-start',
      'task-start',
      'item-start',
      'turn-commit',
      'tool-intent',
      'tool-result',
      'request-attempts',
      'turn-commit',
      'item-end',
      'task-end',
      'task-start',
    ]);
  });

  it('refuses to append after close', () => {
    const writer = JournalWriter.open(journalPath());
    writer.close();
    writer.close();
    expect(caught(() => writer.append(intent('a'))).code).toBe('internal');
  });
});
