import { join } from 'node:path';
import { JsonStateFile } from './json-state-file.js';
import { pythonJsonDumps } from './python-json.js';

/** seclab's logbook file name. */
export const LOGBOOK_FILE_NAME = 'logbook.json';

type Logbook = Map<string, readonly unknown[]>;

/**
 * A keyed logbook, as seclab's: each key holds a list of entries, oldest first, kept in
 * `<stateDirectory>/logbook.json` as one JSON object of key → list, in the same layout as
 * seclab's file (either tool reads what the other wrote). The file is created on first use.
 * Every method throws TaskflowError `io` when the file is invalid or cannot be written.
 */
export class LogbookStore {
  private readonly file: JsonStateFile<Logbook>;

  constructor(stateDirectory: string) {
    this.file = new JsonStateFile<Logbook>(join(stateDirectory, LOGBOOK_FILE_NAME), {
      parse: parseLogbook,
      serialize: (logbook) => pythonJsonDumps(Object.fromEntries(logbook), { indent: 2 }),
      empty: () => new Map(),
      createWhenMissing: true,
    });
  }

  get filePath(): string {
    return this.file.filePath;
  }

  /** Appends an entry to the key's list. */
  async write(key: string, entry: string): Promise<void> {
    await this.file.update((logbook) => {
      logbook.set(key, [...(logbook.get(key) ?? []), entry]);
      return { state: logbook, result: undefined };
    });
  }

  /** @returns the key's entries, oldest first; empty for an unknown key. */
  async read(key: string): Promise<readonly unknown[]> {
    return (await this.file.read()).get(key) ?? [];
  }

  /** Empties the key's list (the key stays, with no entries, as in seclab). */
  async erase(key: string): Promise<void> {
    await this.file.update((logbook) => {
      logbook.set(key, []);
      return { state: logbook, result: undefined };
    });
  }
}

function parseLogbook(content: unknown): Logbook {
  if (typeof content !== 'object' || content === null || Array.isArray(content)) {
    throw new Error('not a JSON object of key -> list of entries');
  }
  const logbook: Logbook = new Map();
  for (const [key, entries] of Object.entries(content)) {
    if (!Array.isArray(entries)) throw new Error(`"${key}" is not a list of entries`);
    logbook.set(key, entries);
  }
  return logbook;
}
