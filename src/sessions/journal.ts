import fs from 'node:fs';
import path from 'node:path';
import { TaskflowError, errorMessage } from '../errors.js';
import type { JournalRecord, JournalRecordInput } from './journal-records.js';
import { jsonLineBuffers } from './json-pieces.js';
import { EMPTY_JOURNAL, readJournal, type JournalContents } from './read-journal.js';
import { storeResult } from './task-result-file.js';

/**
 * Appends records to a journal file: one `write` of `JSON + '\n'` per record, so a crash
 * leaves at most one torn final line. Only one writer per journal (the session lock).
 */
export class JournalWriter {
  readonly path: string;
  /** What the journal held when opened (a torn final line already cut off). */
  readonly existing: JournalContents;
  #fd: number | undefined;
  #nextSeq: number;
  /** The coalesced fsync of the current event-loop turn, when one is scheduled. */
  #pendingSync: Promise<void> | undefined;

  private constructor(filePath: string, fd: number, existing: JournalContents) {
    this.path = filePath;
    this.#fd = fd;
    this.existing = existing;
    this.#nextSeq = existing.lastSeq + 1;
  }

  /**
   * Opens (creating if needed) a journal for append; `seq` continues after the highest
   * existing one. A torn final line is truncated away so new records start on a fresh line.
   * `alreadyRead`: the file's contents as just read with readJournal (saves a second read).
   *
   * @throws TaskflowError 'session' for a corrupt journal, 'io' when it cannot be opened
   */
  static open(filePath: string, alreadyRead?: JournalContents): JournalWriter {
    const existing =
      alreadyRead ?? (fs.existsSync(filePath) ? readJournal(filePath) : EMPTY_JOURNAL);
    try {
      if (existing.tornLines > 0) fs.truncateSync(filePath, existing.validBytes);
      return new JournalWriter(filePath, fs.openSync(filePath, 'a', 0o600), existing);
    } catch (error) {
      throw new TaskflowError('io', `cannot open ${filePath}: ${errorMessage(error)}`, {
        cause: error,
        filePath,
      });
    }
  }

  /** The `seq` of the last record appended (or found on open); 0 for an empty journal. */
  get lastSeq(): number {
    return this.#nextSeq - 1;
  }

  /**
   * Stamps `seq` and `at`, moves a result larger than 64 KiB of JSON to a side file
   * (`results/<task>.json`, `results/<task>-<item>.json`), and appends the record with one
   * write. With `{ sync: true }` (task, item and turn boundaries) an fsync is scheduled:
   * one per event-loop turn however many boundaries it saw, run off the main thread;
   * `durable()` resolves once it is done. The write itself is visible to a reader (and
   * survives a crash of this process) as soon as `append` returns. `at` keeps the time of a
   * record copied from another journal (a merged shard's), so copies stay recognisable.
   *
   * @returns the record as written
   * @throws TaskflowError 'io' when the write fails, 'internal' after close()
   */
  append(input: JournalRecordInput, options: { sync?: boolean; at?: string } = {}): JournalRecord {
    const fd = this.#openFd();
    const record: JournalRecord = {
      seq: this.#nextSeq,
      at: options.at ?? new Date().toISOString(),
      ...this.#offloadResult(input),
    };
    // In pieces: a record holding a large value is never one more string copy of it.
    const line = jsonLineBuffers(record);
    try {
      writeAll(fd, line);
    } catch (error) {
      throw new TaskflowError('io', `cannot append to ${this.path}: ${errorMessage(error)}`, {
        cause: error,
        filePath: this.path,
      });
    }
    this.#nextSeq++;
    if (options.sync) void this.durable();
    return record;
  }

  /**
   * Resolves when everything appended so far is on disk. Concurrent callers in one
   * event-loop turn share a single asynchronous fsync (fan-out items commit turns at
   * the same time); fsync failures are reported, never thrown at a later append.
   */
  durable(): Promise<void> {
    this.#pendingSync ??= new Promise<void>((resolve) => {
      setImmediate(() => {
        this.#pendingSync = undefined;
        const fd = this.#fd;
        if (fd === undefined) return resolve();
        fs.fsync(fd, () => resolve());
      });
    });
    return this.#pendingSync;
  }

  /** Flushes appended records to disk now, blocking; a closed journal was synced by close(). */
  sync(): void {
    if (this.#fd !== undefined) fs.fsyncSync(this.#fd);
  }

  /** Syncs and closes; idempotent. */
  close(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #openFd(): number {
    if (this.#fd === undefined) {
      throw new TaskflowError('internal', `journal ${this.path} is closed`);
    }
    return this.#fd;
  }

  #offloadResult(input: JournalRecordInput): JournalRecordInput {
    if ((input.type !== 'task-end' && input.type !== 'item-end') || input.result === undefined) {
      return input;
    }
    const name = input.type === 'task-end' ? `${input.task}` : `${input.task}-${input.item}`;
    const { result, ...rest } = input;
    return { ...rest, ...storeResult(path.dirname(this.path), name, result) };
  }
}

/** Linux accepts up to 1024 buffers per writev. */
const MAX_BUFFERS_PER_WRITE = 1024;

/**
 * Writes the buffers in order with as few writes as possible (one for any record but the
 * largest). A regular file takes everything offered; the loop only guards odd file systems.
 */
function writeAll(fd: number, buffers: readonly Buffer[]): void {
  let pending = [...buffers];
  while (pending.length > 0) {
    const batch = pending.slice(0, MAX_BUFFERS_PER_WRITE);
    let written =
      batch.length === 1 ? fs.writeSync(fd, batch[0] as Buffer) : fs.writevSync(fd, batch);
    if (written <= 0) throw new Error('the file system accepted no bytes');
    const rest: Buffer[] = [];
    for (const buffer of pending) {
      if (written >= buffer.length) written -= buffer.length;
      else {
        rest.push(written > 0 ? buffer.subarray(written) : buffer);
        written = 0;
      }
    }
    pending = rest;
  }
}
