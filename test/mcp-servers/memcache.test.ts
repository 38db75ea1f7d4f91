import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  builtServerPath,
  callText,
  connectStdioServer,
  resultText,
  type StdioServerConnection,
} from './server-process.js';

describe('memcache server', () => {
  let stateDirectory: string;
  let connection: StdioServerConnection | undefined;

  beforeAll(() => {
    builtServerPath('memcache');
  });

  beforeEach(async () => {
    stateDirectory = await mkdtemp(join(tmpdir(), 'taskflow-memcache-test-'));
  });

  afterEach(async () => {
    await connection?.close();
    connection = undefined;
    await rm(stateDirectory, { recursive: true, force: true });
  });

  async function start(): Promise<StdioServerConnection> {
    await connection?.close();
    connection = await connectStdioServer('memcache', { MEMCACHE_STATE_DIR: stateDirectory });
    return connection;
  }

  it('sets, gets, lists, deletes and clears JSON values', async () => {
    const { client } = await start();
    const values = { text: 'a "quoted" string', count: 3, flag: false, none: null, list: [1, 'x'] };
    for (const [key, value] of Object.entries(values)) {
      await callText(client, 'memcache_set_state', { key, value });
    }
    await callText(client, 'memcache_set_state', {
      key: 'object',
      value: { nested: { a: [true] } },
    });
    expect(JSON.parse(await callText(client, 'memcache_get_state', { key: 'list' }))).toEqual([
      1,
      'x',
    ]);
    expect(JSON.parse(await callText(client, 'memcache_get_state', { key: 'none' }))).toBeNull();
    expect(JSON.parse(await callText(client, 'memcache_get_all_entries'))).toEqual({
      ...values,
      object: { nested: { a: [true] } },
    });
    expect(await callText(client, 'memcache_get_state', { key: 'missing' })).toBe(
      'no value stored for key "missing"',
    );

    expect(await callText(client, 'memcache_delete_state', { key: 'count' })).toBe(
      'deleted key "count"',
    );
    expect(await callText(client, 'memcache_delete_state', { key: 'count' })).toMatch(/not found/);
    expect(JSON.parse(await callText(client, 'memcache_list_keys'))).toEqual([
      'text',
      'flag',
      'none',
      'list',
      'object',
    ]);

    await callText(client, 'memcache_clear_cache');
    expect(JSON.parse(await callText(client, 'memcache_list_keys'))).toEqual([]);
  });

  it('adds to lists, strings and numbers, creates missing keys, refuses other types', async () => {
    const { client } = await start();
    await callText(client, 'memcache_add_state', { key: 'findings', value: ['a'] });
    await callText(client, 'memcache_add_state', { key: 'findings', value: 'b' });
    await callText(client, 'memcache_add_state', { key: 'findings', value: ['c', 'd'] });
    await callText(client, 'memcache_set_state', { key: 'text', value: 'ab' });
    await callText(client, 'memcache_add_state', { key: 'text', value: 'cd' });
    await callText(client, 'memcache_add_state', { key: 'total', value: 2 });
    await callText(client, 'memcache_add_state', { key: 'total', value: 3 });
    expect(JSON.parse(await callText(client, 'memcache_get_all_entries'))).toEqual({
      findings: ['a', 'b', 'c', 'd'],
      text: 'abcd',
      total: 5,
    });

    const refused = await client.callTool({
      name: 'memcache_add_state',
      arguments: { key: 'text', value: 1 },
    });
    expect(refused.isError).toBe(true);
    expect(resultText(refused)).toMatch(
      /cannot add a number to the string stored under key "text"/,
    );
  });

  it('keeps append-only logs with timestamps', async () => {
    const { client } = await start();
    await callText(client, 'memcache_append_log', { key: 'notes', entry: 'first' });
    expect(await callText(client, 'memcache_append_log', { key: 'notes', entry: { n: 2 } })).toBe(
      'appended entry 2 to log "notes"',
    );
    const log = JSON.parse(await callText(client, 'memcache_get_log', { key: 'notes' })) as {
      timestamp: string;
      entry: unknown;
    }[];
    expect(log.map((item) => item.entry)).toEqual(['first', { n: 2 }]);
    for (const item of log) expect(Number.isNaN(Date.parse(item.timestamp))).toBe(false);
    expect(JSON.parse(await callText(client, 'memcache_get_log', { key: 'other' }))).toEqual([]);
  });

  it('persists across a restart in a versioned JSON file', async () => {
    let { client } = await start();
    await callText(client, 'memcache_set_state', { key: 'kept', value: { across: 'restarts' } });
    await callText(client, 'memcache_append_log', { key: 'log', entry: 'one' });

    ({ client } = await start());
    expect(JSON.parse(await callText(client, 'memcache_get_state', { key: 'kept' }))).toEqual({
      across: 'restarts',
    });
    expect(JSON.parse(await callText(client, 'memcache_get_log', { key: 'log' }))).toHaveLength(1);
    const file = JSON.parse(
      await readFile(join(stateDirectory, 'memcache.json'), 'utf8'),
    ) as unknown;
    expect(file).toMatchObject({ version: 1, entries: { kept: { across: 'restarts' } } });
  });

  it('loses no update under concurrent calls', async () => {
    const { client } = await start();
    const indexes = Array.from({ length: 20 }, (_, index) => index);
    await Promise.all(
      indexes.flatMap((index) => [
        callText(client, 'memcache_set_state', { key: `key-${index}`, value: index }),
        callText(client, 'memcache_add_state', { key: 'shared', value: [index] }),
      ]),
    );
    const entries = JSON.parse(await callText(client, 'memcache_get_all_entries')) as Record<
      string,
      unknown
    >;
    for (const index of indexes) expect(entries[`key-${index}`]).toBe(index);
    expect((entries.shared as number[]).sort((a, b) => a - b)).toEqual(indexes);
  });

  it('treats "__proto__" as an ordinary key', async () => {
    const { client } = await start();
    await callText(client, 'memcache_set_state', { key: '__proto__', value: { polluted: true } });
    expect(JSON.parse(await callText(client, 'memcache_list_keys'))).toEqual(['__proto__']);
    expect(JSON.parse(await callText(client, 'memcache_get_state', { key: '__proto__' }))).toEqual({
      polluted: true,
    });
  });

  it('reports an invalid state file with its path and leaves it untouched', async () => {
    const filePath = join(stateDirectory, 'memcache.json');
    await writeFile(filePath, '{"not": "a memcache file"');
    const { client } = await start();
    const result = await client.callTool({
      name: 'memcache_set_state',
      arguments: { key: 'k', value: 1 },
    });
    expect(result.isError).toBe(true);
    expect(resultText(result)).toContain(`${filePath}: invalid state file`);
    expect(await readFile(filePath, 'utf8')).toBe('{"not": "a memcache file"');
  });

  it('uses <tmpdir>/taskflow-memcache when MEMCACHE_STATE_DIR is empty', async () => {
    connection = await connectStdioServer('memcache', {
      MEMCACHE_STATE_DIR: '',
      TMPDIR: stateDirectory,
    });
    await callText(connection.client, 'memcache_set_state', { key: 'k', value: 'v' });
    const file = await readFile(join(stateDirectory, 'taskflow-memcache', 'memcache.json'), 'utf8');
    expect(JSON.parse(file)).toMatchObject({ entries: { k: 'v' } });
  });

  it('marks clear and delete destructive and reads read-only', async () => {
    const { client } = await start();
    const { tools } = await client.listTools();
    const annotations = Object.fromEntries(tools.map((tool) => [tool.name, tool.annotations]));
    expect(Object.keys(annotations).sort()).toEqual([
      'memcache_add_state',
      'memcache_append_log',
      'memcache_clear_cache',
      'memcache_delete_state',
      'memcache_get_all_entries',
      'memcache_get_log',
      'memcache_get_state',
      'memcache_list_keys',
      'memcache_set_state',
    ]);
    for (const name of ['memcache_clear_cache', 'memcache_delete_state']) {
      expect(annotations[name]).toMatchObject({ destructiveHint: true, idempotentHint: true });
    }
    for (const name of ['memcache_get_state', 'memcache_list_keys', 'memcache_get_log']) {
      expect(annotations[name]).toMatchObject({ readOnlyHint: true });
    }
    expect(annotations.memcache_add_state).toMatchObject({ destructiveHint: false });
  });
});
