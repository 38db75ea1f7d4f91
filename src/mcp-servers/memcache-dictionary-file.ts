import { join } from 'node:path';
import { JsonStateFile } from './json-state-file.js';
import { memcacheMessages, type MemcacheBackend, type MemcacheEntry } from './memcache-backend.js';
import { pythonJsonDumps } from './python-json.js';
import { hasPythonAdd, pythonPlus, pythonType } from './python-values.js';

/** seclab's file name for the dictionary_file backend. */
export const DICTIONARY_FILE_NAME = 'memory.json';

type Memory = Map<string, unknown>;

/**
 * `MEMCACHE_BACKEND=dictionary_file`: one JSON object of key → value in
 * `<stateDirectory>/memory.json`, the same file, in the same layout, as seclab's backend of
 * that name (so either tool reads what the other wrote). The file is created on first use.
 */
export class DictionaryFileBackend implements MemcacheBackend {
  private readonly file: JsonStateFile<Memory>;

  constructor(stateDirectory: string) {
    this.file = new JsonStateFile<Memory>(join(stateDirectory, DICTIONARY_FILE_NAME), {
      parse: parseMemory,
      serialize: (memory) => pythonJsonDumps(Object.fromEntries(memory)),
      empty: () => new Map(),
      createWhenMissing: true,
    });
  }

  get filePath(): string {
    return this.file.filePath;
  }

  setState(key: string, value: unknown): Promise<string> {
    return this.file.update((memory) => {
      memory.set(key, value);
      return { state: memory, result: memcacheMessages.stored(key) };
    });
  }

  async getState(key: string): Promise<unknown> {
    const memory = await this.file.read();
    return memory.has(key) ? memory.get(key) : '';
  }

  /**
   * seclab's rule: a stored value of the same type as the new one is added to with Python's
   * `+` (lists and strings concatenate, numbers sum); a stored list gets any other value
   * appended; everything else, a missing key included, is refused with an explanation.
   */
  addState(key: string, value: unknown): Promise<string> {
    return this.file.update((memory) => {
      const existing = memory.has(key) ? memory.get(key) : null;
      const existingType = pythonType(existing);
      const sum = pythonPlus(existing, value);
      if (existingType === pythonType(value) && hasPythonAdd(existingType) && sum.ok) {
        memory.set(key, sum.value);
        return { state: memory, result: memcacheMessages.added(key) };
      }
      if (Array.isArray(existing)) {
        memory.set(key, [...(existing as unknown[]), value]);
        return { state: memory, result: memcacheMessages.added(key) };
      }
      return {
        result: `Error: unsupported types for memcache add \`<class '${existingType}'> + <class '${pythonType(value)}'>\` for key \`${key}\``,
      };
    });
  }

  async listKeys(): Promise<string> {
    return memcacheMessages.keys([...(await this.file.read()).keys()]);
  }

  async getAllEntries(): Promise<MemcacheEntry[]> {
    return [...(await this.file.read())].map(([key, value]) => ({ key, value }));
  }

  deleteState(key: string): Promise<string> {
    return this.file.update((memory) =>
      memory.delete(key)
        ? { state: memory, result: memcacheMessages.deleted(key) }
        : { result: memcacheMessages.notFound(key) },
    );
  }

  clearCache(): Promise<string> {
    return this.file.update(() => ({
      state: new Map(),
      result: 'Memory cache was cleared, all previous key lists are invalidated.',
    }));
  }
}

function parseMemory(content: unknown): Memory {
  if (typeof content !== 'object' || content === null || Array.isArray(content)) {
    throw new Error('not a JSON object of key -> value');
  }
  // A Map, not an object: a key such as "__proto__" must stay an ordinary key.
  return new Map(Object.entries(content));
}
