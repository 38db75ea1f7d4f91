import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  builtServerPath,
  callText,
  connectStdioServer,
  type StdioServerConnection,
} from './server-process.js';

interface Entry {
  number: number;
  timestamp: string;
  entry: string;
}

describe('logbook server', () => {
  let stateDirectory: string;
  let connection: StdioServerConnection | undefined;

  beforeAll(() => {
    builtServerPath('logbook');
  });

  beforeEach(async () => {
    stateDirectory = await mkdtemp(join(tmpdir(), 'taskflow-logbook-test-'));
  });

  afterEach(async () => {
    await connection?.close();
    connection = undefined;
    await rm(stateDirectory, { recursive: true, force: true });
  });

  async function start(): Promise<StdioServerConnection> {
    await connection?.close();
    connection = await connectStdioServer('logbook', { LOGBOOK_STATE_DIR: stateDirectory });
    return connection;
  }

  async function read(from?: number): Promise<Entry[]> {
    const args = from === undefined ? {} : { from };
    return JSON.parse(await callText(connection!.client, 'logbook_read', args)) as Entry[];
  }

  it('writes numbered entries, reads them from a number, and erases them', async () => {
    const { client } = await start();
    expect(await callText(client, 'logbook_write', { entry: 'first' })).toBe('1');
    expect(await callText(client, 'logbook_write', { entry: 'second\nline' })).toBe('2');
    expect(await callText(client, 'logbook_write', { entry: 'third' })).toBe('3');

    const all = await read();
    expect(all.map(({ number, entry }) => [number, entry])).toEqual([
      [1, 'first'],
      [2, 'second\nline'],
      [3, 'third'],
    ]);
    for (const { timestamp } of all) expect(Number.isNaN(Date.parse(timestamp))).toBe(false);
    expect((await read(2)).map(({ number }) => number)).toEqual([2, 3]);

    expect(await callText(client, 'logbook_erase')).toBe('logbook erased (3 entries removed)');
    expect(await read()).toEqual([]);
    expect(await callText(client, 'logbook_write', { entry: 'after erase' })).toBe('1');
  });

  it('keeps entries across a restart', async () => {
    await callText((await start()).client, 'logbook_write', { entry: 'kept' });
    await start();
    expect((await read()).map(({ entry }) => entry)).toEqual(['kept']);
  });

  it('numbers concurrent writes uniquely', async () => {
    const { client } = await start();
    const numbers = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        callText(client, 'logbook_write', { entry: `entry ${index}` }),
      ),
    );
    expect(numbers.map(Number).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await read()).toHaveLength(10);
  });

  it('annotates erase as destructive and read as read-only', async () => {
    const { client } = await start();
    const { tools } = await client.listTools();
    const annotations = Object.fromEntries(tools.map((tool) => [tool.name, tool.annotations]));
    expect(annotations.logbook_read).toMatchObject({ readOnlyHint: true });
    expect(annotations.logbook_erase).toMatchObject({ destructiveHint: true });
    expect(annotations.logbook_write).toMatchObject({
      destructiveHint: false,
      idempotentHint: false,
    });
  });
});
