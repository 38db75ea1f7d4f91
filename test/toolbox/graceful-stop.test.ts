import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectToolbox } from '../../src/toolbox/connect-toolbox.js';
import { GracefulStop } from '../../src/toolbox/graceful-stop.js';
import type { ToolboxConnection } from '../../src/toolbox/types.js';
import { freePort, nodeToolbox, waitFor } from './toolbox-fixtures.js';

/**
 * issue 10 defect 9 at the connection: `onSent` reports the moment a call was handed to its
 * server (never for a call stopped before), and a `GracefulStop` lets a call already sent
 * finish until its grace is over.
 */

const ECHO = fileURLToPath(new URL('../../dist/mcp-servers/echo.js', import.meta.url));
const DIAGNOSTICS = { extraEnv: { TASKFLOW_ECHO_DIAGNOSTICS: '1' } };

/** A graceful stop and the switch that ends its grace. */
function gracefulStop(): { stop: GracefulStop; endGrace: () => void } {
  const grace = new AbortController();
  return {
    stop: new GracefulStop('interrupted by SIGINT', grace.signal),
    endGrace: () => grace.abort(),
  };
}

let echo: ToolboxConnection;
beforeAll(async () => {
  echo = await connectToolbox(nodeToolbox('echo', [ECHO], DIAGNOSTICS));
});
afterAll(async () => {
  await echo.close();
});

describe('onSent', () => {
  it('is called once, while the call is still running on the server', async () => {
    const controller = new AbortController();
    let sent = 0;
    const call = echo.callTool(
      'sleep',
      { ms: 10_000 },
      { signal: controller.signal, onSent: () => (sent += 1) },
    );
    const settled = call.then(
      () => 'answered',
      () => 'failed',
    );
    await waitFor(() => sent > 0);
    controller.abort(new Error('stop'));
    await expect(call).rejects.toMatchObject({ code: 'cancelled' });
    expect(await settled).toBe('failed');
    expect(sent).toBe(1);
  });

  it('is not called for a call stopped before it was sent, graceful or not', async () => {
    for (const reason of [new Error('stop'), gracefulStop().stop]) {
      let sent = 0;
      await expect(
        echo.callTool(
          'echo',
          { message: 'x' },
          {
            signal: AbortSignal.abort(reason),
            onSent: () => (sent += 1),
          },
        ),
      ).rejects.toMatchObject({ code: 'cancelled' });
      expect(sent).toBe(0);
    }
  });

  it('is called over streamable HTTP too', async () => {
    const port = await freePort();
    const connection = await connectToolbox({
      ...nodeToolbox(
        'web',
        [ECHO, '--transport', 'streamable', '--port', String(port)],
        DIAGNOSTICS,
      ),
      kind: 'streamable',
      url: `http://127.0.0.1:${port}/mcp`,
    });
    try {
      const order: string[] = [];
      const call = connection.callTool('sleep', { ms: 200 }, { onSent: () => order.push('sent') });
      await waitFor(() => order.length > 0);
      order.push((await call).text);
      expect(order).toEqual(['sent', 'slept 200 ms']);
    } finally {
      await connection.close();
    }
  });
});

describe('a graceful stop', () => {
  it('lets a call already sent finish within the grace: its answer is returned', async () => {
    const controller = new AbortController();
    const { stop } = gracefulStop();
    let sent = false;
    const call = echo.callTool(
      'sleep',
      { ms: 300 },
      { signal: controller.signal, onSent: () => (sent = true) },
    );
    await waitFor(() => sent);
    controller.abort(stop);
    expect((await call).text).toBe('slept 300 ms');
    // The server is fine afterwards.
    expect((await echo.callTool('echo', { message: 'after' })).text).toBe('after');
  });

  it('cancels a call that outlives the grace when the grace ends', async () => {
    const controller = new AbortController();
    const { stop, endGrace } = gracefulStop();
    let sent = false;
    const call = echo.callTool(
      'sleep',
      { ms: 10_000 },
      { signal: controller.signal, onSent: () => (sent = true) },
    );
    let outcome = 'running';
    void call.then(
      () => (outcome = 'answered'),
      () => (outcome = 'failed'),
    );
    await waitFor(() => sent);
    controller.abort(stop);
    // Still running under the grace (a plain abort cancels at once, see above).
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(outcome).toBe('running');
    endGrace();
    await expect(call).rejects.toMatchObject({ code: 'cancelled' });
  });
});
