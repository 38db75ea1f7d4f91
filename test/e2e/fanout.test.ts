import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  lastUserText,
  startFakeModelServer,
  toolResultsOf,
  type FakeModelServer,
} from '../fakes/fake-model-server.js';
import { makeSandbox, parseJsonl, runCli } from './cli-harness.js';

/**
 * repeat_prompt with `async: true` end to end: 50 items, async_limit 5, one echo tool call
 * per item through a real stdio server that must be started once for the whole task.
 */

const ITEMS = 50;
const ASYNC_LIMIT = 5;

let server: FakeModelServer;
let sandbox: string;

beforeEach(async () => {
  server = await startFakeModelServer();
  sandbox = makeSandbox();
});
afterEach(async () => {
  await server.close();
  fs.rmSync(sandbox, { recursive: true, force: true });
});

/** Turn 1: echo `item-N` (from the prompt); turn 2: answer with the tool's output. */
function scriptEchoPerItem(): void {
  server.setHandler((request) => {
    const results = toolResultsOf(request);
    if (results.length === 0) {
      const item = /item-\d+/.exec(lastUserText(request) ?? '')?.[0] ?? 'no-item';
      return {
        kind: 'message',
        latencyMs: 40,
        toolCalls: [{ name: 'counted_echo__echo', arguments: { message: item } }],
      };
    }
    return { kind: 'message', latencyMs: 40, text: `echoed ${results[0]?.output ?? '?'}` };
  });
}

describe('taskflow run: async repeat_prompt fan-out', () => {
  it('starts the toolbox once, bounds concurrency by async_limit and keeps item order', async () => {
    scriptEchoPerItem();
    const startLog = path.join(sandbox, 'toolbox-starts.log');
    const resultFile = path.join(sandbox, 'results.json');
    const result = await runCli(['run', 'taskflows/fanout.yaml', '--output', 'jsonl'], sandbox, {
      env: {
        AI_API_ENDPOINT: server.url,
        AI_API_TOKEN: 'test-token-fanout',
        TOOLBOX_START_LOG: startLog,
        RESULT_FILE: resultFile,
      },
      timeoutMs: 60_000,
    });
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.code).toBe(0);

    // One server process for all 50 items.
    const starts = fs.readFileSync(startLog, 'utf8').trim().split('\n');
    expect(starts).toHaveLength(1);
    expect(starts[0]).toMatch(/^started \d+$/);

    // Concurrent, but never more than async_limit model requests at once.
    expect(server.maxConcurrent).toBeLessThanOrEqual(ASYNC_LIMIT);
    expect(server.maxConcurrent).toBeGreaterThan(1);
    expect(server.unscripted).toHaveLength(0);
    expect(server.requests).toHaveLength(2 * ITEMS);

    // Exactly one successful echo call per item, answered by the real server.
    const events = parseJsonl(result.stdout);
    const toolEnds = events.filter((event) => event.type === 'tool-call-end');
    expect(toolEnds).toHaveLength(ITEMS);
    for (const event of toolEnds) {
      expect(event).toMatchObject({ toolbox: 'counted_echo', tool: 'echo', status: 'ok' });
    }
    const echoed = server.requests
      .flatMap((request) => toolResultsOf(request).map((entry) => entry.output))
      .sort();
    const expected = Array.from({ length: ITEMS }, (_, index) => `item-${index}`);
    expect(echoed).toEqual([...expected].sort());

    const fanOutEnd = events.find((event) => event.type === 'task-end' && event.taskIndex === 1);
    expect(fanOutEnd).toMatchObject({ status: 'succeeded' });
    // The task result is the list of item results in item order, not completion order.
    expect(JSON.parse(fs.readFileSync(resultFile, 'utf8'))).toEqual(expected);
  }, 90_000);
});
