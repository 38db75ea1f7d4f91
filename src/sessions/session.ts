import path from 'node:path';
import type { JournalWriter } from './journal.js';
import type { JournalRecord } from './journal-records.js';
import type { SessionLock } from './lock.js';
import { MANIFEST_SCHEMA_VERSION, writeManifest, type Manifest } from './manifest.js';
import { replayJournal, type ReplayState } from './replay.js';
import { readTaskResult, type StoredResult } from './task-result-file.js';
import type { TaskResult } from '../engine/run-types.js';

/**
 * An open session owned by this process (it holds the lock): the current manifest, the
 * journal writer, and what the journal held when opened (for replay). Close it (or
 * `using session = ...`) to sync the journal and release the lock.
 */
export class Session {
  readonly id: string;
  readonly dir: string;
  readonly journal: JournalWriter;
  /** True when manifest.json was missing or damaged and rebuilt from the journal on open. */
  readonly rebuilt: boolean;
  #manifest: Manifest;
  readonly #lock: SessionLock;
  readonly #notes: readonly string[];
  #replay: ReplayState | undefined;

  constructor(parts: {
    id: string;
    dir: string;
    manifest: Manifest;
    journal: JournalWriter;
    lock: SessionLock;
    /** `records` replayed, when the opener has done it already. */
    replay?: ReplayState;
    rebuilt?: boolean;
    /** Problems found while opening (shown with the journal's warnings). */
    notes?: readonly string[];
  }) {
    this.id = parts.id;
    this.dir = parts.dir;
    this.#manifest = parts.manifest;
    this.journal = parts.journal;
    this.#lock = parts.lock;
    this.rebuilt = parts.rebuilt ?? false;
    this.#notes = parts.notes ?? [];
    this.#replay = parts.replay;
  }

  /**
   * The folder the bundled MCP servers keep this session's state in (`<dir>/state`), so a
   * resume finds it and `sessions rm` removes it with the session.
   */
  get stateDir(): string {
    return path.resolve(this.dir, 'state');
  }

  /** The manifest as last written (treat as read-only; change it with updateManifest). */
  get manifest(): Manifest {
    return this.#manifest;
  }

  /** Journal records present when the session was opened (replay them to resume). */
  get records(): readonly JournalRecord[] {
    return this.journal.existing.records;
  }

  /** `records` replayed (computed once; treat as read-only). */
  get replay(): ReplayState {
    return (this.#replay ??= replayJournal(this.records));
  }

  /** Torn line ignored, manifest rebuilt, ... (show them as warnings). */
  get warnings(): readonly string[] {
    return [...this.journal.existing.warnings, ...this.#notes];
  }

  /**
   * Applies `mutator` to a copy of the manifest (mutate it in place or return a new one),
   * stamps `updatedAt` and `journalSeq`, validates and writes it atomically — after
   * syncing the journal, so the manifest on disk never counts a record the journal on
   * disk lacks (a journal shorter than its manifest was damaged; see journal-coverage.ts).
   *
   * @returns the manifest as written
   * @throws TaskflowError 'internal' when the result is invalid, 'io' when it cannot be written
   */
  updateManifest(mutator: (draft: Manifest) => Manifest | void): Manifest {
    // Globals never change during a run and may be large: share them, copy the rest.
    const { globals, ...rest } = this.#manifest;
    const draft: Manifest = { ...structuredClone(rest), globals };
    const next = mutator(draft) ?? draft;
    // An older session is written in the current format from its first update on.
    next.schemaVersion = MANIFEST_SCHEMA_VERSION;
    next.updatedAt = new Date().toISOString();
    next.journalSeq = this.journal.lastSeq;
    this.journal.sync();
    writeManifest(this.dir, next);
    this.#manifest = next;
    return next;
  }

  /** A task or item result, inline or from its side file. */
  readTaskResult(stored: StoredResult): TaskResult | undefined {
    return readTaskResult(this.dir, stored);
  }

  /** Syncs and closes the journal, then releases the lock; idempotent. */
  close(): void {
    try {
      this.journal.close();
    } finally {
      this.#lock.release();
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
