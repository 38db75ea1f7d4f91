import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { userDataDirectory } from '../../src/mcp-servers/state-directory.js';
import { exitOf, resultText, spawnServer, useStateServer } from './server-process.js';

/**
 * The memcache server process over stdio, per backend. Expected answers and files are
 * seclab's (mcp_servers/memcache: memcache.py and memcache_backend/dictionary_file.py,
 * sqlite.py), worked out from its source.
 */

const KEYS_HEADER = 'IMPORTANT: your known memcache keys are now:\n';

const memcache = useStateServer('memcache', 'MEMCACHE_STATE_DIR');
const { start, call } = memcache;

describe('memcache server tools', () => {
  it("lists seclab's seven tools with its argument names; reads are read-only", async () => {
    const { client } = await start();
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    expect([...byName.keys()]).toEqual([
      'memcache_set_state',
      'memcache_get_state',
      'memcache_list_keys',
      'memcache_get_all_entries',
      'memcache_add_state',
      'memcache_delete_state',
      'memcache_clear_cache',
    ]);
    const required = Object.fromEntries(
      tools.map((tool) => [tool.name, tool.inputSchema.required ?? []]),
    );
    expect(required).toEqual({
      memcache_set_state: ['key', 'value'],
      memcache_get_state: ['key'],
      memcache_list_keys: [],
      memcache_get_all_entries: [],
      memcache_add_state: ['key', 'value'],
      memcache_delete_state: ['key'],
      memcache_clear_cache: [],
    });
    for (const name of ['memcache_clear_cache', 'memcache_delete_state', 'memcache_set_state']) {
      expect(byName.get(name)?.annotations).toMatchObject({ destructiveHint: true });
    }
    for (const name of ['memcache_get_state', 'memcache_list_keys', 'memcache_get_all_entries']) {
      expect(byName.get(name)?.annotations).toMatchObject({ readOnlyHint: true });
    }
  });

  it('refuses a call without a value, as a required argument', async () => {
    const { client } = await start();
    const result = await client.callTool({ name: 'memcache_set_state', arguments: { key: 'k' } });
    expect(result.isError).toBe(true);
    expect(resultText(result)).toMatch(/value/);
  });
});

describe('memcache dictionary_file backend', () => {
  const backend = { MEMCACHE_BACKEND: 'dictionary_file' };

  it('answers as seclab and keeps memory.json in its layout', async () => {
    await start(backend);
    expect(await call('memcache_set_state', { key: 'fruits', value: ['apple'] })).toBe(
      'Stored value in memory for `fruits`',
    );
    expect(await call('memcache_add_state', { key: 'fruits', value: 'banana' })).toBe(
      'Updated and added to value in memory for key: `fruits`',
    );
    await call('memcache_add_state', { key: 'fruits', value: ['cherry', 'damson'] });
    await call('memcache_set_state', { key: 'note', value: 'hi' });
    await call('memcache_add_state', { key: 'note', value: ' there' });
    await call('memcache_set_state', { key: 'count', value: 2 });
    await call('memcache_add_state', { key: 'count', value: 3 });
    await call('memcache_set_state', { key: 'naïve', value: { nested: [true, null] } });

    expect(await call('memcache_get_state', { key: 'fruits' })).toBe(
      '["apple", "banana", "cherry", "damson"]',
    );
    expect(await call('memcache_get_state', { key: 'count' })).toBe('5');
    expect(await call('memcache_get_state', { key: 'missing' })).toBe('""');
    expect(await call('memcache_get_all_entries')).toBe(
      '[{"key": "fruits", "value": ["apple", "banana", "cherry", "damson"]}, ' +
        '{"key": "note", "value": "hi there"}, {"key": "count", "value": 5}, ' +
        '{"key": "na\\u00efve", "value": {"nested": [true, null]}}]',
    );
    expect(await call('memcache_list_keys')).toBe(
      `${KEYS_HEADER}\n- fruits\n- note\n- count\n- naïve`,
    );
    expect(await readFile(join(memcache.stateDirectory, 'memory.json'), 'utf8')).toBe(
      '{"fruits": ["apple", "banana", "cherry", "damson"], "note": "hi there", "count": 5, ' +
        '"na\\u00efve": {"nested": [true, null]}}',
    );
  });

  it('refuses to add across types or to a missing key, with Python type names', async () => {
    await start(backend);
    await call('memcache_set_state', { key: 'note', value: 'text' });
    await call('memcache_set_state', { key: 'object', value: { a: 1 } });
    expect(await call('memcache_add_state', { key: 'note', value: 1 })).toBe(
      "Error: unsupported types for memcache add `<class 'str'> + <class 'int'>` for key `note`",
    );
    expect(await call('memcache_add_state', { key: 'object', value: { b: 2 } })).toBe(
      "Error: unsupported types for memcache add `<class 'dict'> + <class 'dict'>` for key `object`",
    );
    expect(await call('memcache_add_state', { key: 'new', value: 1.5 })).toBe(
      "Error: unsupported types for memcache add `<class 'NoneType'> + <class 'float'>` for key `new`",
    );
    expect(await call('memcache_get_state', { key: 'new' })).toBe('""');
  });

  it('deletes and clears with seclab’s answers', async () => {
    await start(backend);
    await call('memcache_set_state', { key: 'k', value: 1 });
    expect(await call('memcache_delete_state', { key: 'k' })).toBe(
      'Deleted key `k` from memory cache.',
    );
    expect(await call('memcache_delete_state', { key: 'k' })).toBe(
      'Key `k` not found in memory cache.',
    );
    await call('memcache_set_state', { key: 'k', value: 1 });
    expect(await call('memcache_clear_cache')).toBe(
      'Memory cache was cleared, all previous key lists are invalidated.',
    );
    expect(await call('memcache_list_keys')).toBe(KEYS_HEADER);
    expect(await readFile(join(memcache.stateDirectory, 'memory.json'), 'utf8')).toBe('{}');
  });

  it('reads a memory.json seclab wrote, and creates one on first use', async () => {
    await writeFile(join(memcache.stateDirectory, 'memory.json'), '{"from_seclab": [1, 2]}');
    await start(backend);
    expect(await call('memcache_get_state', { key: 'from_seclab' })).toBe('[1, 2]');

    const fresh = join(memcache.stateDirectory, 'fresh', 'nested');
    await start({ ...backend, MEMCACHE_STATE_DIR: fresh });
    await call('memcache_list_keys');
    expect(await readFile(join(fresh, 'memory.json'), 'utf8')).toBe('{}');
  });

  it('loses no update under concurrent calls', async () => {
    await start(backend);
    await call('memcache_set_state', { key: 'shared', value: [] });
    const indexes = Array.from({ length: 20 }, (_, index) => index);
    await Promise.all(
      indexes.map((index) => call('memcache_add_state', { key: 'shared', value: index })),
    );
    const shared = JSON.parse(await call('memcache_get_state', { key: 'shared' })) as number[];
    expect(shared.sort((a, b) => a - b)).toEqual(indexes);
  });

  it('treats "__proto__" as an ordinary key', async () => {
    await start(backend);
    await call('memcache_set_state', { key: '__proto__', value: { polluted: true } });
    expect(await call('memcache_list_keys')).toBe(`${KEYS_HEADER}\n- __proto__`);
    expect(await call('memcache_get_state', { key: '__proto__' })).toBe('{"polluted": true}');
  });

  it('reports an invalid memory.json with its path and leaves it untouched', async () => {
    const filePath = join(memcache.stateDirectory, 'memory.json');
    await writeFile(filePath, '["not", "a dictionary"]');
    const { client } = await start(backend);
    const result = await client.callTool({
      name: 'memcache_set_state',
      arguments: { key: 'k', value: 1 },
    });
    expect(result.isError).toBe(true);
    expect(resultText(result)).toContain(`${filePath}: invalid state file`);
    expect(await readFile(filePath, 'utf8')).toBe('["not", "a dictionary"]');
  });
});

describe('memcache sqlite backend (the default)', () => {
  it('keeps one row per write and combines rows on read, as seclab’s SQLite backend', async () => {
    await start();
    // A missing key can be added to.
    expect(await call('memcache_add_state', { key: 'count', value: 1 })).toBe(
      'Updated and added to value in memory for key: `count`',
    );
    await call('memcache_add_state', { key: 'count', value: 2.5 });
    await call('memcache_set_state', { key: 'items', value: [1] });
    await call('memcache_add_state', { key: 'items', value: [2] });
    await call('memcache_set_state', { key: 'mixed', value: 'a' });
    await call('memcache_add_state', { key: 'mixed', value: 1 });
    await call('memcache_set_state', { key: 'object', value: { a: 1 } });
    await call('memcache_add_state', { key: 'object', value: { b: 2 } });

    expect(await call('memcache_get_state', { key: 'count' })).toBe('3.5');
    // Each later row is appended as one element.
    expect(await call('memcache_get_state', { key: 'items' })).toBe('[1, [2]]');
    // Rows that cannot be added come back as the list of all of them.
    expect(await call('memcache_get_state', { key: 'mixed' })).toBe('["a", 1]');
    expect(await call('memcache_get_state', { key: 'object' })).toBe('null');
    expect(await call('memcache_get_state', { key: 'missing' })).toBe('""');
    expect(await call('memcache_get_all_entries')).toBe(
      '[{"key": "count", "value": 1}, {"key": "count", "value": 2.5}, ' +
        '{"key": "items", "value": [1]}, {"key": "items", "value": [2]}, ' +
        '{"key": "mixed", "value": "a"}, {"key": "mixed", "value": 1}, ' +
        '{"key": "object", "value": {"a": 1}}, {"key": "object", "value": {"b": 2}}]',
    );

    // set_state replaces every row of the key with one, written last.
    expect(await call('memcache_set_state', { key: 'count', value: 10 })).toBe(
      'Stored value in memory for `count`',
    );
    expect(await call('memcache_get_state', { key: 'count' })).toBe('10');
    expect(await call('memcache_list_keys')).toBe(
      `${KEYS_HEADER}\n- items\n- mixed\n- object\n- count`,
    );
    expect(await call('memcache_delete_state', { key: 'items' })).toBe(
      'Deleted key `items` from memory cache.',
    );
    expect(await call('memcache_delete_state', { key: 'items' })).toBe(
      'Key `items` not found in memory cache.',
    );
    expect(await call('memcache_clear_cache')).toBe('Cleared all keys in memory cache.');
    expect(await call('memcache_get_all_entries')).toBe('[]');
  });

  it('persists rows across a restart in memory.sqlite.json', async () => {
    await start({ MEMCACHE_BACKEND: 'sqlite' });
    await call('memcache_add_state', { key: 'log', value: 'a' });
    await call('memcache_add_state', { key: 'log', value: 'b' });
    await start();
    expect(await call('memcache_get_state', { key: 'log' })).toBe('"ab"');
    const file = JSON.parse(
      await readFile(join(memcache.stateDirectory, 'memory.sqlite.json'), 'utf8'),
    ) as unknown;
    expect(file).toEqual({
      version: 1,
      rows: [
        { id: 1, key: 'log', value: 'a' },
        { id: 2, key: 'log', value: 'b' },
      ],
    });
  });

  it("warns that seclab's memory.db is not read", async () => {
    await writeFile(join(memcache.stateDirectory, 'memory.db'), 'SQLite format 3\0');
    const server = await start();
    await call('memcache_list_keys');
    expect(server.stderr()).toMatch(/memory\.db \(seclab's SQLite memory\) is not read/);
  });
});

describe('memcache server configuration', () => {
  it('fails to start on an unknown MEMCACHE_BACKEND, naming the known ones', async () => {
    const child = spawnServer('memcache', [], {
      MEMCACHE_BACKEND: 'redis',
      MEMCACHE_STATE_DIR: memcache.stateDirectory,
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await exitOf(child)).toEqual({ code: 2, signal: null });
    expect(stderr).toContain(
      'MEMCACHE_BACKEND="redis" is not a memcache backend; use one of dictionary_file, sqlite',
    );
  });

  it('keeps state in the per-user data folder when MEMCACHE_STATE_DIR is empty', async () => {
    const home = join(memcache.stateDirectory, 'home');
    await mkdir(home);
    await start({ MEMCACHE_STATE_DIR: '', HOME: home, MEMCACHE_BACKEND: 'dictionary_file' });
    await call('memcache_set_state', { key: 'k', value: 'v' });
    const dataFolder = userDataDirectory({ HOME: home });
    expect(await readFile(join(dataFolder, 'memcache', 'memory.json'), 'utf8')).toBe('{"k": "v"}');
  });

  it('logs to $LOG_DIR/mcp_memcache.log when LOG_DIR is set', async () => {
    const logDirectory = join(memcache.stateDirectory, 'logs');
    await start({ LOG_DIR: logDirectory });
    await call('memcache_list_keys');
    const log = await readFile(join(logDirectory, 'mcp_memcache.log'), 'utf8');
    expect(log).toMatch(/^\S+ - INFO - memcache: backend sqlite, state in /m);
    expect(log).toMatch(/^\S+ - DEBUG - memcache: memcache_list_keys called$/m);
  });
});
