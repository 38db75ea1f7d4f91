import fs from 'node:fs';
import path from 'node:path';
import { TaskflowError, errorMessage } from '../errors.js';
import { removeStaleTempFiles, syncDirectory } from './atomic-write.js';
import { JournalWriter } from './journal.js';
import { JOURNAL_SCHEMA_VERSION, type JournalRecord } from './journal-records.js';
import { acquireLock, inspectLock, type SessionLock } from './lock.js';
import {
  MANIFEST_FILE,
  MANIFEST_SCHEMA_VERSION,
  pendingTask,
  writeManifest,
  type Manifest,
  type SessionFingerprint,
  type SessionStatus,
  type TaskflowReference,
} from './manifest.js';
import { loadManifest } from './load-manifest.js';
import { assertJournalCoversManifest, journalShortfall } from './journal-coverage.js';
import { EMPTY_JOURNAL, JOURNAL_FILE, readJournal } from './read-journal.js';
import { replayJournal } from './replay.js';
import { Session } from './session.js';
import { isSessionId, newSessionId } from './session-id.js';

/** What a new session records; the caller passes redacted globals. */
export interface CreateSessionInput {
  readonly taskflow: TaskflowReference;
  readonly globals: Readonly<Record<string, unknown>>;
  readonly modelConfig?: string;
  /** Absolute; where `resume` loads definitions and runs shell tasks again. */
  readonly workingDirectory?: string;
  /** Absolute extra search roots (`--path`, `TASKFLOW_PATH`), in order. */
  readonly searchPaths?: readonly string[];
  readonly fingerprint: SessionFingerprint;
  readonly runner: { readonly version: string };
  /** Task names in order; the manifest starts with them as `pending`. */
  readonly taskNames?: readonly string[];
}

export interface SessionSummary {
  readonly id: string;
  /** The taskflow reference as the user gave it ('' when unreadable). */
  readonly taskflow: string;
  readonly status: SessionStatus | 'unreadable';
  readonly tasksDone: number;
  readonly tasksTotal: number;
  readonly updatedAt: string;
  /** A live process holds the lock. */
  readonly inUse: boolean;
  /** Why the session could not be read (status 'unreadable'). */
  readonly problem?: string;
}

/** A session read without taking its lock (`sessions show`). */
export interface SessionSnapshot {
  readonly id: string;
  readonly dir: string;
  readonly manifest: Manifest;
  readonly records: readonly JournalRecord[];
  readonly warnings: readonly string[];
  /** The manifest was rebuilt from the journal (manifest.json missing or damaged). */
  readonly rebuilt: boolean;
  /** A live process holds the lock. */
  readonly inUse: boolean;
}

const MIN_PREFIX = 4;

/** The sessions under one folder (`<root>/<id>/`). Synchronous file I/O throughout. */
export class SessionStore {
  constructor(readonly root: string) {}

  /** Creates `<root>/<id>/` with lock, journal (`session-start` first) and manifest. */
  create(input: CreateSessionInput): Session {
    fs.mkdirSync(this.root, { recursive: true, mode: 0o700 });
    const id = this.#makeDirectory();
    const dir = path.join(this.root, id);
    syncDirectory(this.root);
    const location = {
      ...(input.workingDirectory !== undefined && { workingDirectory: input.workingDirectory }),
      ...(input.searchPaths !== undefined && { searchPaths: [...input.searchPaths] }),
    };
    return this.#withLock(dir, (lock) => {
      const journal = JournalWriter.open(path.join(dir, JOURNAL_FILE));
      try {
        const start = journal.append(
          {
            type: 'session-start',
            schemaVersion: JOURNAL_SCHEMA_VERSION,
            id,
            taskflow: input.taskflow,
            globals: { ...input.globals },
            ...(input.modelConfig !== undefined && { modelConfig: input.modelConfig }),
            ...location,
            fingerprint: input.fingerprint,
            runner: { version: input.runner.version },
            ...(input.taskNames && { taskNames: [...input.taskNames] }),
          },
          { sync: true },
        );
        const manifest: Manifest = {
          schemaVersion: MANIFEST_SCHEMA_VERSION,
          id,
          status: 'running',
          createdAt: start.at,
          updatedAt: start.at,
          taskflow: input.taskflow,
          globals: { ...input.globals },
          ...(input.modelConfig !== undefined && { modelConfig: input.modelConfig }),
          ...location,
          fingerprint: input.fingerprint,
          runner: { version: input.runner.version },
          tasks: (input.taskNames ?? []).map((name, index) => pendingTask(index, name)),
          usage: { inputTokens: 0, outputTokens: 0 },
          outputs: {},
          journalSeq: start.seq,
        };
        writeManifest(dir, manifest);
        return new Session({ id, dir, manifest, journal, lock });
      } catch (error) {
        journal.close();
        throw error;
      }
    });
  }

  /**
   * Opens a session for continuing it: takes the lock, cleans temp files a crash left,
   * checks the journal holds everything the manifest counts, opens the journal for
   * append, and rebuilds manifest.json from the journal if missing. Nothing in the folder
   * but temp files changes before the checks pass.
   *
   * @param idOrPrefix a full id or a unique prefix of at least 4 characters
   * @throws TaskflowError 'session' (unknown id, unreadable files, a journal shorter than
   *   its manifest), 'session-locked'
   */
  open(idOrPrefix: string): Session {
    const id = this.resolveId(idOrPrefix);
    const dir = path.join(this.root, id);
    return this.#withLock(dir, (lock) => {
      removeStaleTempFiles(dir);
      const journalPath = path.join(dir, JOURNAL_FILE);
      const hasManifest = fs.existsSync(path.join(dir, MANIFEST_FILE));
      const hasJournal = fs.existsSync(journalPath);
      if (!hasManifest && !hasJournal) throw this.#empty(id);
      const contents = hasJournal ? readJournal(journalPath) : EMPTY_JOURNAL;
      const loaded = loadManifest(dir, id, contents.records);
      // Replayed once here: the coverage check and the session's recorder both read it.
      const replay = replayJournal(contents.records);
      if (!loaded.rebuilt) {
        assertJournalCoversManifest(loaded.manifest, contents, journalPath, replay);
      }
      const journal = JournalWriter.open(journalPath, contents);
      try {
        if (loaded.rebuilt) writeManifest(dir, loaded.manifest);
        return new Session({
          id,
          dir,
          manifest: loaded.manifest,
          journal,
          lock,
          replay,
          rebuilt: loaded.rebuilt !== undefined,
          ...(loaded.rebuilt !== undefined && { notes: [loaded.rebuilt] }),
        });
      } catch (error) {
        journal.close();
        throw error;
      }
    });
  }

  /** Manifest and journal without locking (may be mid-write by a running process). */
  read(idOrPrefix: string): SessionSnapshot {
    const id = this.resolveId(idOrPrefix);
    const dir = path.join(this.root, id);
    const journalPath = path.join(dir, JOURNAL_FILE);
    const journal = fs.existsSync(journalPath) ? readJournal(journalPath) : undefined;
    const hasManifest = fs.existsSync(path.join(dir, MANIFEST_FILE));
    if (!hasManifest && !journal) throw this.#empty(id);
    const loaded = loadManifest(dir, id, journal?.records);
    const shortfall = loaded.rebuilt
      ? undefined
      : journalShortfall(loaded.manifest, journal ?? EMPTY_JOURNAL, journalPath);
    return {
      id,
      dir,
      manifest: loaded.manifest,
      records: journal?.records ?? [],
      warnings: [
        ...(journal?.warnings ?? []),
        ...(loaded.rebuilt ? [loaded.rebuilt] : []),
        ...(shortfall ? [`${shortfall}; resume will refuse it`] : []),
      ],
      rebuilt: loaded.rebuilt !== undefined,
      inUse: safeInUse(dir),
    };
  }

  /** Summaries of all sessions, most recently updated first; takes no locks. */
  list(): SessionSummary[] {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(this.root, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new TaskflowError('io', `cannot read ${this.root}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    const summaries = entries
      .filter((entry) => entry.isDirectory() && isSessionId(entry.name))
      .map((entry) => this.#summarize(entry.name));
    return summaries.sort((a, b) => Date.parse(b.updatedAt) - Date.parse(a.updatedAt));
  }

  /**
   * Deletes a session folder.
   *
   * @throws TaskflowError 'session-locked' when a live process holds it, 'session' when
   *   unknown, 'io' when it cannot be deleted
   */
  remove(idOrPrefix: string): void {
    const id = this.resolveId(idOrPrefix);
    const dir = path.join(this.root, id);
    // Taking the lock first means no live process is using the session while it goes.
    const lock = acquireLock(dir);
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch (error) {
      lock.release();
      throw new TaskflowError('io', `cannot remove session ${id}: ${errorMessage(error)}`, {
        cause: error,
        filePath: dir,
      });
    }
  }

  /**
   * The full id for an id or a unique prefix of at least 4 characters.
   *
   * @throws TaskflowError 'session' for an unknown id or an ambiguous prefix
   */
  resolveId(idOrPrefix: string): string {
    const given = idOrPrefix.trim().toLowerCase();
    if (isSessionId(given) && fs.existsSync(path.join(this.root, given))) return given;
    const matches = this.#ids().filter((id) => id.startsWith(given));
    if (given.length >= MIN_PREFIX && matches.length === 1 && matches[0]) return matches[0];
    if (given.length >= MIN_PREFIX && matches.length > 1) {
      throw new TaskflowError(
        'session',
        `session id prefix ${given} is ambiguous in ${this.root}: ${matches.sort().join(', ')}`,
      );
    }
    const details =
      given.length > 0 && given.length < MIN_PREFIX && matches.length > 0
        ? [`give at least ${MIN_PREFIX} characters of the id`]
        : [];
    throw new TaskflowError('session', `no session ${idOrPrefix} in ${this.root}`, { details });
  }

  #empty(id: string): TaskflowError {
    return new TaskflowError('session', `session ${id} in ${this.root} has no manifest or journal`);
  }

  #ids(): string[] {
    try {
      return fs.readdirSync(this.root).filter(isSessionId);
    } catch {
      return [];
    }
  }

  #makeDirectory(): string {
    for (;;) {
      const id = newSessionId();
      try {
        fs.mkdirSync(path.join(this.root, id), { mode: 0o700 });
        return id;
      } catch (error) {
        // 48 random bits: a collision is rare; just draw again.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
  }

  #withLock(dir: string, body: (lock: SessionLock) => Session): Session {
    const lock = acquireLock(dir);
    try {
      return body(lock);
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  #summarize(id: string): SessionSummary {
    const dir = path.join(this.root, id);
    const inUse = safeInUse(dir);
    try {
      const { manifest } = this.read(id);
      return {
        id,
        taskflow: manifest.taskflow.reference,
        status: manifest.status,
        tasksDone: manifest.tasks.filter(
          (task) => task.status === 'succeeded' || task.status === 'skipped',
        ).length,
        tasksTotal: manifest.tasks.length,
        updatedAt: manifest.updatedAt,
        inUse,
      };
    } catch (error) {
      return {
        id,
        taskflow: '',
        status: 'unreadable',
        tasksDone: 0,
        tasksTotal: 0,
        updatedAt: new Date(fs.statSync(dir).mtimeMs).toISOString(),
        inUse,
        problem: errorMessage(error),
      };
    }
  }
}

function safeInUse(dir: string): boolean {
  try {
    return inspectLock(dir).state === 'held';
  } catch {
    return false;
  }
}
