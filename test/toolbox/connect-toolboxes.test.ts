import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectToolboxes } from '../../src/toolbox/connect-toolboxes.js';
import { liveToolboxProcessGroups } from '../../src/toolbox/process-registry.js';
import type { ToolboxConnection } from '../../src/toolbox/types.js';
import { fixture, isAlive, newProcessGroups, nodeToolbox, readPid } from './toolbox-fixtures.js';

const scratch = mkdtempSync(join(tmpdir(), 'taskflow-toolboxes-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The pid from the "[name] started pid N: ..." log line. */
function startedPid(logged: readonly string[], name: string): number {
  const line = logged.find((entry) => entry.startsWith(`[${name}] started pid `));
  expect(line).toBeDefined();
  return Number(/started pid (\d+)/.exec(line ?? '')?.[1]);
}

describe('connectToolboxes', () => {
  it('returns the connections in input order and closes them in reverse order', async () => {
    const before = liveToolboxProcessGroups();
    const set = await connectToolboxes([
      nodeToolbox('first', [fixture('prints-env.mjs')]),
      nodeToolbox('second', [fixture('slow-tool.mjs')]),
    ]);
    const pids = newProcessGroups(before);
    expect(set.connections.map((connection) => connection.name)).toEqual(['first', 'second']);
    expect(set.get('second')?.tools.map((tool) => tool.name)).toEqual(['sleep']);

    const closed: string[] = [];
    for (const connection of set.connections) {
      const close = connection.close.bind(connection);
      (connection as { close: ToolboxConnection['close'] }).close = async (options) => {
        closed.push(connection.name);
        await close(options);
      };
    }
    await set.close();
    await set.close();
    expect(closed).toEqual(['second', 'first']);
    expect(pids).toHaveLength(2);
    expect(pids.filter(isAlive)).toEqual([]);
  });

  it('closes the toolboxes that started when another fails, and throws its error', async () => {
    const pidFile = join(scratch, 'stuck.pid');
    const before = liveToolboxProcessGroups();
    const logged: string[] = [];
    const error: unknown = await connectToolboxes(
      [
        nodeToolbox('fine', [fixture('prints-env.mjs')]),
        nodeToolbox('stuck', [fixture('never-initializes.mjs')], {
          connectTimeoutMs: 1500,
          extraEnv: { PID_FILE: pidFile },
        }),
      ],
      { logger: (line) => logged.push(line), startRetryDelaysMs: [] },
    ).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'toolbox-start', toolbox: 'stuck' });
    const finePid = startedPid(logged, 'fine');
    expect(isAlive(finePid)).toBe(false);
    expect(isAlive(readPid(pidFile))).toBe(false);
    expect(newProcessGroups(before)).toEqual([]);
  });

  it('aborts the starts still running when one fails fast', { timeout: 5000 }, async () => {
    const before = liveToolboxProcessGroups();
    const logged: string[] = [];
    const error: unknown = await connectToolboxes(
      [
        nodeToolbox('stuck', [fixture('never-initializes.mjs')], {
          connectTimeoutMs: 60_000,
        }),
        nodeToolbox('ghost', [], { command: 'taskflow-no-such-command' }),
      ],
      { logger: (line) => logged.push(line) },
    ).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'toolbox-start', toolbox: 'ghost' });
    expect(isAlive(startedPid(logged, 'stuck'))).toBe(false);
    expect(newProcessGroups(before)).toEqual([]);
  });
});
