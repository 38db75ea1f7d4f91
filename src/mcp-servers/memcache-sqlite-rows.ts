import { join } from 'node:path';
import { JsonStateFile } from './json-state-file.js';
import { memcacheMessages, type MemcacheBackend, type MemcacheEntry } from './memcache-backend.js';
import { hasPythonAdd, pythonPlus, pythonType } from './python-values.js';

/**
 * Where the sqlite backend keeps its rows. Not seclab's `memory.db`: Node 20 has no SQLite
 * module, so the rows of seclab's `key_value_store` table live in a JSON file instead.
 */
export const SQLITE_ROWS_FILE_NAME = 'memory.sqlite.json';
/** seclab's SQLite file, which this backend cannot read. */
export const SECLAB_SQLITE_FILE_NAME = 'memory.db';
/** Version of the rows file; bump it and keep a fixture when the shape changes. */
export const SQLITE_ROWS_FILE_VERSION = 1;

interface Row {
  readonly id: number;
  readonly key: string;
  readonly value: unknown;
}

/**
 * `MEMCACHE_BACKEND=sqlite` (seclab's default): the semantics of seclab's SQLite backend,
 * which keeps one row per write rather than one value per key. `memcache_set_state` replaces
 * a key's rows with one; `memcache_add_state` adds a row (also for a new key);
 * `memcache_get_state` combines a key's rows in write order (a list gets each later value
 * appended, strings and numbers are added up, values that cannot be added come back as the
 * list of all of them); `memcache_get_all_entries` lists every row.
 */
export class SqliteRowsBackend implements MemcacheBackend {
  private readonly file: JsonStateFile<readonly Row[]>;

  constructor(stateDirectory: string) {
    this.file = new JsonStateFile<readonly Row[]>(join(stateDirectory, SQLITE_ROWS_FILE_NAME), {
      parse: parseRows,
      serialize: (rows) =>
        `${JSON.stringify({ version: SQLITE_ROWS_FILE_VERSION, rows }, null, 2)}\n`,
      empty: () => [],
    });
  }

  get filePath(): string {
    return this.file.filePath;
  }

  setState(key: string, value: unknown): Promise<string> {
    return this.file.update((rows) => {
      const kept = rows.filter((row) => row.key !== key);
      return {
        state: [...kept, { id: nextId(kept), key, value }],
        result: memcacheMessages.stored(key),
      };
    });
  }

  async getState(key: string): Promise<unknown> {
    const values = (await this.file.read())
      .filter((row) => row.key === key)
      .map((row) => row.value);
    return combine(values);
  }

  addState(key: string, value: unknown): Promise<string> {
    return this.file.update((rows) => ({
      state: [...rows, { id: nextId(rows), key, value }],
      result: memcacheMessages.added(key),
    }));
  }

  async listKeys(): Promise<string> {
    return memcacheMessages.keys([...new Set((await this.file.read()).map((row) => row.key))]);
  }

  async getAllEntries(): Promise<MemcacheEntry[]> {
    return (await this.file.read()).map((row) => ({ key: row.key, value: row.value }));
  }

  deleteState(key: string): Promise<string> {
    return this.file.update((rows) => {
      const kept = rows.filter((row) => row.key !== key);
      return kept.length === rows.length
        ? { result: memcacheMessages.notFound(key) }
        : { state: kept, result: memcacheMessages.deleted(key) };
    });
  }

  clearCache(): Promise<string> {
    return this.file.update(() => ({ state: [], result: 'Cleared all keys in memory cache.' }));
  }
}

/** SQLite's next rowid for an INTEGER PRIMARY KEY: one more than the largest. */
function nextId(rows: readonly Row[]): number {
  return rows.reduce((largest, row) => Math.max(largest, row.id), 0) + 1;
}

/** A key's rows, oldest first, read back as one value the way seclab's backend does. */
function combine(values: readonly unknown[]): unknown {
  const [first, ...later] = values;
  if (values.length === 0) return '';
  if (later.length === 0) return first;
  if (Array.isArray(first)) return [...(first as unknown[]), ...later];
  if (!hasPythonAdd(pythonType(first))) return null;
  let total = first;
  for (const value of later) {
    const sum = pythonPlus(total, value);
    if (!sum.ok) return [...values];
    total = sum.value;
  }
  return total;
}

function parseRows(content: unknown): readonly Row[] {
  const document = content as { version?: unknown; rows?: unknown } | null;
  if (typeof document !== 'object' || document === null) throw new Error('not a JSON object');
  if (document.version !== SQLITE_ROWS_FILE_VERSION) {
    throw new Error(`unsupported version ${JSON.stringify(document.version)}, expected 1`);
  }
  if (!Array.isArray(document.rows)) throw new Error('"rows" is not a list');
  document.rows.forEach((item: unknown, index) => {
    const row = item as Partial<Row> | null;
    const valid =
      typeof row === 'object' &&
      row !== null &&
      Number.isInteger(row.id) &&
      typeof row.key === 'string' &&
      'value' in row;
    if (!valid) throw new Error(`rows[${index}] is not {id, key, value}`);
  });
  return document.rows as Row[];
}
