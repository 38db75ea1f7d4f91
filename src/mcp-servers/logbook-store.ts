import { join } from 'node:path';
import { JsonStateFile } from './json-state-file.js';

/** One logbook entry; numbers start at 1 and restart after an erase. */
export interface LogbookEntry {
  readonly number: number;
  /** ISO 8601. */
  readonly timestamp: string;
  readonly entry: string;
}

/** Version of the `logbook.json` format; bump it and keep a fixture when the shape changes. */
export const LOGBOOK_FILE_VERSION = 1;
export const LOGBOOK_FILE_NAME = 'logbook.json';

/**
 * An append-only logbook kept in `<stateDirectory>/logbook.json` (see JsonStateFile for
 * atomicity and serialisation). Every method throws TaskflowError `io` when the file is
 * invalid or cannot be written.
 */
export class LogbookStore {
  private readonly file: JsonStateFile<readonly LogbookEntry[]>;

  constructor(
    stateDirectory: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.file = new JsonStateFile<readonly LogbookEntry[]>(
      join(stateDirectory, LOGBOOK_FILE_NAME),
      {
        parse: parseLogbookFile,
        serialize: (entries) => ({ version: LOGBOOK_FILE_VERSION, entries }),
        empty: () => [],
      },
    );
  }

  get filePath(): string {
    return this.file.filePath;
  }

  /** Appends an entry. @returns its number. */
  write(entry: string): Promise<number> {
    return this.file.update((entries) => {
      const number = (entries.at(-1)?.number ?? 0) + 1;
      const written = { number, timestamp: this.now().toISOString(), entry };
      return { state: [...entries, written], result: number };
    });
  }

  /** @returns the entries numbered `fromNumber` and later, oldest first. */
  async read(fromNumber = 1): Promise<readonly LogbookEntry[]> {
    return (await this.file.read()).filter((entry) => entry.number >= fromNumber);
  }

  /** Removes every entry. @returns how many there were. */
  erase(): Promise<number> {
    return this.file.update((entries) => ({ state: [], result: entries.length }));
  }
}

function parseLogbookFile(content: unknown): readonly LogbookEntry[] {
  if (typeof content !== 'object' || content === null) throw new Error('not a JSON object');
  const { version, entries } = content as { version?: unknown; entries?: unknown };
  if (version !== LOGBOOK_FILE_VERSION) {
    throw new Error(`unsupported version ${JSON.stringify(version)}, expected 1`);
  }
  if (!Array.isArray(entries)) throw new Error('"entries" is not a list');
  entries.forEach((item: unknown, index) => {
    const entry = item as Partial<LogbookEntry> | null;
    const valid =
      typeof entry === 'object' &&
      entry !== null &&
      Number.isInteger(entry.number) &&
      typeof entry.timestamp === 'string' &&
      typeof entry.entry === 'string';
    if (!valid) throw new Error(`entries[${index}] is not {number, timestamp, entry}`);
  });
  return entries as LogbookEntry[];
}
