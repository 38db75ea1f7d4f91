/** One entry of `memcache_get_all_entries`. */
export interface MemcacheEntry {
  readonly key: string;
  readonly value: unknown;
}

/**
 * A memcache storage backend, as seclab's `MEMCACHE_BACKEND` selects one. The answers are
 * the texts the model reads (seclab's wording, so prompts written against seclab still
 * fit); every method throws TaskflowError `io` when the state file is invalid or cannot be
 * written.
 */
export interface MemcacheBackend {
  /** Where the state lives on disk. */
  readonly filePath: string;
  setState(key: string, value: unknown): Promise<string>;
  /** The stored value; `""` for a key that holds nothing. */
  getState(key: string): Promise<unknown>;
  addState(key: string, value: unknown): Promise<string>;
  listKeys(): Promise<string>;
  getAllEntries(): Promise<MemcacheEntry[]>;
  deleteState(key: string): Promise<string>;
  clearCache(): Promise<string>;
}

/** The values of `MEMCACHE_BACKEND` seclab knows; unset means `sqlite`, as in seclab. */
export const MEMCACHE_BACKEND_NAMES = ['dictionary_file', 'sqlite'] as const;
export type MemcacheBackendName = (typeof MEMCACHE_BACKEND_NAMES)[number];
export const DEFAULT_MEMCACHE_BACKEND: MemcacheBackendName = 'sqlite';

/**
 * The backend `MEMCACHE_BACKEND` names; unset or empty selects the default.
 * @returns an error message for any other value (seclab's server fails to start then too).
 */
export function memcacheBackendName(
  value: string | undefined,
): { readonly name: MemcacheBackendName } | { readonly error: string } {
  const trimmed = value?.trim() ?? '';
  if (trimmed === '') return { name: DEFAULT_MEMCACHE_BACKEND };
  const known = MEMCACHE_BACKEND_NAMES.find((name) => name === trimmed);
  if (known) return { name: known };
  return {
    error: `MEMCACHE_BACKEND=${JSON.stringify(value)} is not a memcache backend; use one of ${MEMCACHE_BACKEND_NAMES.join(', ')} (unset: ${DEFAULT_MEMCACHE_BACKEND})`,
  };
}

/** The answers both backends share, word for word as seclab's servers give them. */
export const memcacheMessages = {
  stored: (key: string) => `Stored value in memory for \`${key}\``,
  added: (key: string) => `Updated and added to value in memory for key: \`${key}\``,
  deleted: (key: string) => `Deleted key \`${key}\` from memory cache.`,
  notFound: (key: string) => `Key \`${key}\` not found in memory cache.`,
  keys: (keys: readonly string[]) =>
    ['IMPORTANT: your known memcache keys are now:\n', ...keys.map((key) => `- ${key}`)].join('\n'),
} as const;
