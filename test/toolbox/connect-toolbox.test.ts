import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TaskflowError } from '../../src/errors.js';
import {
  SAFE_ENVIRONMENT_NAMES,
  buildServerEnvironment,
} from '../../src/toolbox/build-server-environment.js';
import { connectToolbox } from '../../src/toolbox/connect-toolbox.js';
import { liveToolboxProcessGroups } from '../../src/toolbox/process-registry.js';
import type { ToolProgress } from '../../src/toolbox/types.js';
import {
  EVERYTHING_SERVER,
  FILESYSTEM_SERVER,
  fixture,
  freePort,
  isAlive,
  newProcessGroups,
  nodeToolbox,
  waitFor,
} from './toolbox-fixtures.js';

const scratch = mkdtempSync(join(tmpdir(), 'taskflow-toolbox-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('connectToolbox over stdio with server-everything', () => {
  it('lists tools with annotations, calls them and closes the process', async () => {
    const before = liveToolboxProcessGroups();
    const connection = await connectToolbox(
      nodeToolbox('everything', [EVERYTHING_SERVER, 'stdio']),
    );
    const [pid] = newProcessGroups(before);
    try {
      expect(connection.name).toBe('everything');
      const echo = connection.tools.find((tool) => tool.name === 'echo');
      expect(echo?.inputSchema).toMatchObject({ type: 'object' });
      expect(echo?.annotations).toMatchObject({ readOnlyHint: true, idempotentHint: true });

      const echoed = await connection.callTool('echo', { message: 'hi there' });
      expect(echoed).toMatchObject({ text: 'Echo: hi there', isError: false });

      const image = await connection.callTool('get-tiny-image', {});
      expect(image.text).toMatch(/\[image image\/png, \d+ bytes\]/);

      const unknown = await connection.callTool('no-such-tool', {});
      expect(unknown.isError).toBe(true);
      expect(unknown.text).toContain('no-such-tool');
    } finally {
      await connection.close();
    }
    expect(pid).toBeDefined();
    expect(isAlive(pid ?? 0)).toBe(false);
    expect(liveToolboxProcessGroups()).not.toContain(pid);
    await connection.close(); // idempotent
    await expect(connection.callTool('echo', { message: 'x' })).rejects.toMatchObject({
      code: 'toolbox-closed',
    });
  });

  it('resets the call timeout on progress notifications', async () => {
    await using connection = await connectToolbox(
      nodeToolbox('everything', [EVERYTHING_SERVER, 'stdio']),
    );
    const progress: ToolProgress[] = [];
    const outcome = await connection.callTool(
      'trigger-long-running-operation',
      { duration: 1, steps: 5 },
      { timeoutMs: 600, onProgress: (update) => progress.push(update) },
    );
    expect(outcome.text).toContain('Long running operation completed');
    // 1 s of work under a 600 ms timeout: only the resets let it finish. The SDK may drop
    // the last notification when it is handled after the result.
    expect(progress.map((update) => update.progress).slice(0, 4)).toEqual([1, 2, 3, 4]);
  });
});

describe('connectToolbox with server-filesystem', () => {
  it('reads a file under the root given as argument', async () => {
    writeFileSync(join(scratch, 'note.txt'), 'filesystem says hello');
    await using connection = await connectToolbox(
      nodeToolbox('fs', [FILESYSTEM_SERVER, scratch], { cwd: scratch }),
    );
    const outcome = await connection.callTool('read_text_file', {
      path: join(scratch, 'note.txt'),
    });
    expect(outcome).toMatchObject({ isError: false, text: 'filesystem says hello' });
  });
});

describe('connectToolbox over HTTP', () => {
  it.each([
    ['streamable', 'streamableHttp', '/mcp'],
    ['sse', 'sse', '/sse'],
  ] as const)(
    '%s: launches the server by command, waits for its URL, connects, kills it on close',
    async (kind, transportArgument, path) => {
      const port = await freePort();
      const before = liveToolboxProcessGroups();
      const logged: string[] = [];
      const connection = await connectToolbox(
        {
          ...nodeToolbox('web', [EVERYTHING_SERVER, transportArgument], {
            extraEnv: { PORT: String(port) },
          }),
          kind,
          url: `http://127.0.0.1:${port}${path}`,
        },
        { logger: (line) => logged.push(line) },
      );
      const [pid] = newProcessGroups(before);
      try {
        const outcome = await connection.callTool('echo', { message: 'over http' });
        expect(outcome.text).toBe('Echo: over http');
        expect(connection.tools.some((tool) => tool.name === 'get-sum')).toBe(true);
        // The launched server's output is logged, not printed.
        expect(
          logged.some((line) => line.startsWith('[web] ') && line.includes(String(port))),
        ).toBe(true);
      } finally {
        await connection.close();
      }
      expect(isAlive(pid ?? 0)).toBe(false);
    },
  );

  it('sends the configured headers', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((request, response) => {
      seen.push(request.headers);
      response.writeHead(401).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const error = await connectToolbox({
        ...nodeToolbox('remote', []),
        kind: 'streamable',
        command: undefined,
        url: `http://127.0.0.1:${port}/mcp`,
        headers: { Authorization: 'Bearer abc', 'X-Flags': 'on' },
      }).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'toolbox-start', toolbox: 'remote', status: 401 });
      expect((error as Error).message).toContain('(HTTP 401)');
      expect(seen[0]).toMatchObject({ authorization: 'Bearer abc', 'x-flags': 'on' });
    } finally {
      server.close();
    }
  });

  it('fails naming the URL when nothing listens', async () => {
    const port = await freePort();
    const error = await connectToolbox({
      ...nodeToolbox('remote', []),
      kind: 'streamable',
      command: undefined,
      url: `http://127.0.0.1:${port}/mcp?token=secret`,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TaskflowError);
    expect(error).toMatchObject({ code: 'toolbox-start', toolbox: 'remote' });
    expect((error as Error).message).toContain(
      `toolbox "remote" failed to start: http://127.0.0.1:${port}/mcp:`,
    );
    expect((error as Error).message).not.toContain('secret');
  });
});

describe('server environment', () => {
  it('contains the safe set and the toolbox env, not other parent variables or denylisted names', async () => {
    const taskEnvironment = {
      ...process.env,
      TASKFLOW_TEST_SECRET: 'hunter2',
      TASKFLOW_DENIED: 'from-task',
    };
    const env = buildServerEnvironment(
      taskEnvironment,
      { TOOLBOX_SETTING: 'on', TASKFLOW_DENIED: 'from-toolbox' },
      ['TASKFLOW_DENIED'],
    );
    await using connection = await connectToolbox(
      nodeToolbox('env', [fixture('prints-env.mjs')], { env }),
    );
    const seen = JSON.parse((await connection.callTool('env', {})).text) as Record<string, string>;
    expect(seen.TOOLBOX_SETTING).toBe('on');
    expect(seen.PATH).toBe(process.env.PATH);
    expect(seen).not.toHaveProperty('TASKFLOW_TEST_SECRET');
    expect(seen).not.toHaveProperty('TASKFLOW_DENIED');
    const allowed = new Set([...SAFE_ENVIRONMENT_NAMES, 'TOOLBOX_SETTING']);
    expect(Object.keys(seen).filter((name) => !allowed.has(name))).toEqual([]);
  });
});

describe('server output', () => {
  it('sends stderr lines to the logger and keeps the last 20', async () => {
    const logged: string[] = [];
    await using connection = await connectToolbox(
      nodeToolbox('noisy', [fixture('stderr-noise.mjs')]),
      { logger: (line) => logged.push(line) },
    );
    await waitFor(() => connection.stderrTail().at(-1) === 'noise 30');
    expect(connection.stderrTail()).toHaveLength(20);
    expect(connection.stderrTail()[0]).toBe('noise 11');
    expect(logged).toContain('[noisy] noise 1');

    await connection.callTool('shout', { lines: 3 });
    await waitFor(() => connection.stderrTail().at(-1) === 'shout 3');
    expect(connection.stderrTail().slice(-3)).toEqual(['shout 1', 'shout 2', 'shout 3']);
  });
});

describe('a hand-written server', () => {
  it('survives a stdout banner and returns malformed results and JSON-RPC errors as isError', async () => {
    const logged: string[] = [];
    await using connection = await connectToolbox(nodeToolbox('raw', [fixture('raw-server.mjs')]), {
      logger: (line) => logged.push(line),
    });
    expect(connection.tools.map((tool) => [tool.name, tool.annotations])).toEqual([
      ['bad', { destructiveHint: true }],
      ['rpc-error', undefined],
    ]);
    expect(logged.some((line) => line.includes('not JSON-RPC'))).toBe(true);

    const malformed = await connection.callTool('bad', {});
    expect(malformed.isError).toBe(true);
    expect(malformed.text).toMatch(/^toolbox "raw" returned an invalid result for tool "bad"/);

    const rpcError = await connection.callTool('rpc-error', {});
    expect(rpcError).toMatchObject({
      isError: true,
      text: 'MCP error -32602: Invalid params: need x',
      raw: { error: { code: -32602 } },
    });
  });
});
