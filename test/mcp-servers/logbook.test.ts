import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resultText, useStateServer } from './server-process.js';

/**
 * The logbook server process over stdio. Expected answers and files are seclab's
 * (mcp_servers/logbook/logbook.py), worked out from its source.
 */
describe('logbook server', () => {
  const logbook = useStateServer('logbook', 'LOGBOOK_STATE_DIR');
  const { start, call } = logbook;

  it("lists seclab's tools and argument names", async () => {
    const { client } = await start();
    const { tools } = await client.listTools();
    expect(
      tools.map((tool) => [
        tool.name,
        Object.keys(tool.inputSchema.properties ?? {}),
        tool.inputSchema.required,
      ]),
    ).toEqual([
      ['logbook_write', ['entry', 'key'], ['entry', 'key']],
      ['logbook_read', ['key'], ['key']],
      ['logbook_erase', ['key'], ['key']],
    ]);
    const annotations = Object.fromEntries(tools.map((tool) => [tool.name, tool.annotations]));
    expect(annotations.logbook_read).toMatchObject({ readOnlyHint: true });
    expect(annotations.logbook_erase).toMatchObject({ destructiveHint: true });
  });

  it('keeps entries per key, reads them as an indented JSON list, erases one key', async () => {
    await start();
    expect(await call('logbook_write', { entry: 'first', key: 'alpha' })).toBe(
      'Stored logbook entry for `alpha`',
    );
    await call('logbook_write', { entry: 'other', key: 'beta' });
    await call('logbook_write', { entry: 'second\nline ü', key: 'alpha' });
    expect(await call('logbook_read', { key: 'alpha' })).toBe(
      '[\n  "first",\n  "second\\nline \\u00fc"\n]',
    );
    expect(await call('logbook_read', { key: 'unknown' })).toBe('[]');
    expect(await call('logbook_erase', { key: 'alpha' })).toBe(
      'Erased logbook entries stored for `alpha`',
    );
    expect(await call('logbook_read', { key: 'alpha' })).toBe('[]');
    expect(await call('logbook_read', { key: 'beta' })).toBe('[\n  "other"\n]');
    // An erased key stays, with no entries.
    expect(await readFile(join(logbook.stateDirectory, 'logbook.json'), 'utf8')).toBe(
      '{\n  "alpha": [],\n  "beta": [\n    "other"\n  ]\n}',
    );
  });

  it('reads a logbook.json seclab wrote, and keeps entries across a restart', async () => {
    await writeFile(join(logbook.stateDirectory, 'logbook.json'), '{"k": ["from seclab"]}');
    await start();
    await call('logbook_write', { entry: 'from taskflow', key: 'k' });
    await start();
    expect(JSON.parse(await call('logbook_read', { key: 'k' }))).toEqual([
      'from seclab',
      'from taskflow',
    ]);
  });

  it('loses no entry under concurrent writes', async () => {
    await start();
    await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        call('logbook_write', { entry: `${index}`, key: 'k' }),
      ),
    );
    const entries = JSON.parse(await call('logbook_read', { key: 'k' })) as string[];
    expect(entries.map(Number).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('reports an invalid logbook.json with its path', async () => {
    const filePath = join(logbook.stateDirectory, 'logbook.json');
    await writeFile(filePath, '{"k": "not a list"}');
    const { client } = await start();
    const result = await client.callTool({ name: 'logbook_read', arguments: { key: 'k' } });
    expect(result.isError).toBe(true);
    expect(resultText(result)).toContain(`${filePath}: invalid state file`);
  });

  it('logs to $LOG_DIR/mcp_logbook.log when LOG_DIR is set', async () => {
    const logDirectory = join(logbook.stateDirectory, 'logs');
    await start({ LOG_DIR: logDirectory });
    await call('logbook_read', { key: 'k' });
    expect(await readFile(join(logDirectory, 'mcp_logbook.log'), 'utf8')).toMatch(
      /^\S+ - DEBUG - logbook: logbook_read called$/m,
    );
  });
});
