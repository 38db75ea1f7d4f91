import { join } from 'node:path';
import { JsonStateFile } from './json-state-file.js';

/** One timestamped entry of an append-only log (ISO 8601 timestamp). */
export interface MemcacheLogEntry {
  readonly timestamp: string;
  readonly entry: unknown;
}

/** How `add` combined the new value with the stored one. */
export type MemcacheAddOutcome =
  | { readonly kind: 'created' | 'appended' | 'concatenated' | 'summed' }
  | { readonly kind: 'unsupported'; readonly storedType: string; readonly addedType: string };

interface MemcacheState {
  readonly entries: Map<string, unknown>;
  readonly logs: Map<string, readonly MemcacheLogEntry[]>;
}

/** Version of the `memcache.json` format; bump it and keep a fixture when the shape changes. */
export const MEMCACHE_FILE_VERSION = 1;
export const MEMCACHE_FILE_NAME = 'memcache.json';

/**
 * The memcache key/value store: JSON values by key plus append-only logs by key, kept in
 * `<stateDirectory>/memcache.json` (see JsonStateFile for atomicity and serialisation).
 * Every method throws TaskflowError `io` when the file is invalid or cannot be written.
 */
export class MemcacheStore {
  private readonly file: JsonStateFile<MemcacheState>;

  constructor(
    stateDirectory: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.file = new JsonStateFile<MemcacheState>(join(stateDirectory, MEMCACHE_FILE_NAME), {
      parse: parseMemcacheFile,
      serialize: (state) => ({
        version: MEMCACHE_FILE_VERSION,
        entries: Object.fromEntries(state.entries),
        logs: Object.fromEntries(state.logs),
      }),
      empty: () => ({ entries: new Map(), logs: new Map() }),
    });
  }

  get filePath(): string {
    return this.file.filePath;
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.file.update((state) => {
      state.entries.set(key, value);
      return { state, result: undefined };
    });
  }

  async get(key: string): Promise<{ readonly found: boolean; readonly value?: unknown }> {
    const { entries } = await this.file.read();
    return entries.has(key) ? { found: true, value: entries.get(key) } : { found: false };
  }

  /**
   * Adds to a stored value: a list gets the value appended (a list value is concatenated),
   * a string gets a string concatenated, a number gets a number summed; a missing key is
   * created with the value. Other combinations change nothing and report `unsupported`.
   */
  add(key: string, value: unknown): Promise<MemcacheAddOutcome> {
    return this.file.update<MemcacheAddOutcome>((state) => {
      const outcome = combine(state.entries.has(key), state.entries.get(key), value);
      if (outcome.kind === 'unsupported') return { result: outcome };
      state.entries.set(key, outcome.value);
      return { state, result: { kind: outcome.kind } };
    });
  }

  async listKeys(): Promise<string[]> {
    return [...(await this.file.read()).entries.keys()];
  }

  async getAll(): Promise<Record<string, unknown>> {
    return Object.fromEntries((await this.file.read()).entries);
  }

  /** @returns whether the key existed. */
  delete(key: string): Promise<boolean> {
    return this.file.update((state) =>
      state.entries.delete(key) ? { state, result: true } : { result: false },
    );
  }

  /** Removes all keys and all logs. @returns how many keys and logs there were. */
  clear(): Promise<{ readonly keys: number; readonly logs: number }> {
    return this.file.update((state) => ({
      state: { entries: new Map(), logs: new Map() },
      result: { keys: state.entries.size, logs: state.logs.size },
    }));
  }

  /** Appends a timestamped entry to the log `key`. @returns the log's new length. */
  appendLog(key: string, entry: unknown): Promise<number> {
    return this.file.update((state) => {
      const log = [...(state.logs.get(key) ?? []), { timestamp: this.now().toISOString(), entry }];
      state.logs.set(key, log);
      return { state, result: log.length };
    });
  }

  /** @returns the log's entries, oldest first; empty for an unknown key. */
  async getLog(key: string): Promise<readonly MemcacheLogEntry[]> {
    return (await this.file.read()).logs.get(key) ?? [];
  }
}

type Combined =
  | { readonly kind: 'created' | 'appended' | 'concatenated' | 'summed'; readonly value: unknown }
  | { readonly kind: 'unsupported'; readonly storedType: string; readonly addedType: string };

function combine(exists: boolean, stored: unknown, added: unknown): Combined {
  if (!exists) return { kind: 'created', value: added };
  if (Array.isArray(stored)) {
    const list: readonly unknown[] = stored;
    const more: readonly unknown[] = Array.isArray(added) ? added : [added];
    return { kind: 'appended', value: [...list, ...more] };
  }
  if (typeof stored === 'string' && typeof added === 'string') {
    return { kind: 'concatenated', value: stored + added };
  }
  if (typeof stored === 'number' && typeof added === 'number') {
    return { kind: 'summed', value: stored + added };
  }
  return { kind: 'unsupported', storedType: jsonType(stored), addedType: jsonType(added) };
}

/** The JSON type name of a value, for messages. */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  return typeof value === 'object' ? 'object' : typeof value;
}

function parseMemcacheFile(content: unknown): MemcacheState {
  if (!isRecord(content)) throw new Error('not a JSON object');
  if (content.version !== MEMCACHE_FILE_VERSION) {
    throw new Error(`unsupported version ${JSON.stringify(content.version)}, expected 1`);
  }
  if (!isRecord(content.entries)) throw new Error('"entries" is not an object');
  if (!isRecord(content.logs)) throw new Error('"logs" is not an object');
  const logs = new Map<string, readonly MemcacheLogEntry[]>();
  for (const [key, log] of Object.entries(content.logs)) {
    const valid =
      Array.isArray(log) &&
      log.every((item) => isRecord(item) && typeof item.timestamp === 'string' && 'entry' in item);
    if (!valid) throw new Error(`log "${key}" is not a list of {timestamp, entry}`);
    logs.set(key, log as MemcacheLogEntry[]);
  }
  // Maps, not objects: a key such as "__proto__" must stay an ordinary key.
  return { entries: new Map(Object.entries(content.entries)), logs };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
