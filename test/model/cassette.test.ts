import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ReplayingClient,
  RecordingClient,
  readCassette,
  requestKey,
} from '../../src/model/cassette.js';
import { createModelClient } from '../../src/model/create-model-client.js';
import type { ModelRequest } from '../../src/model/types.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/fake-model-server.js';

let server: FakeModelServer;
let directory: string;

beforeEach(async () => {
  server = await startFakeModelServer();
  directory = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-cassette-'));
});
afterEach(async () => {
  await server.close();
  fs.rmSync(directory, { recursive: true, force: true });
});

const request = (text: string): ModelRequest => ({
  model: 'm',
  instructions: 'be brief',
  conversation: [{ role: 'user', content: text }],
  tools: [
    {
      name: 'echo__echo',
      parameters: { type: 'object', properties: { message: { type: 'string' } } },
    },
  ],
  settings: { temperature: 0 },
});

describe('cassettes', () => {
  it('records exchanges and replays them without any network', async () => {
    const file = path.join(directory, 'run.jsonl');
    server.enqueue(
      {
        kind: 'message',
        toolCalls: [{ id: 'call_1', name: 'echo__echo', arguments: { message: 'x' } }],
      },
      { kind: 'message', text: 'second answer' },
    );
    const inner = createModelClient({
      apiType: 'chat_completions',
      endpoint: server.url,
      token: 't',
      tokenVariable: 'T',
    });
    const recorder = new RecordingClient(inner, file, (text) =>
      text.replaceAll('second', 'SECOND'),
    );
    const first = await recorder.complete(request('one'));
    await recorder.complete(request('two'));
    expect(readCassette(file)).toHaveLength(2);
    await server.close();

    const replayer = new ReplayingClient(file);
    const deltas: string[] = [];
    // Out of order: matching is by request, not position.
    const second = await replayer.complete(request('two'), {
      onTextDelta: (text) => deltas.push(text),
    });
    expect(second.text).toBe('SECOND answer');
    expect(deltas).toEqual(['SECOND answer']);
    expect(await replayer.complete(request('one'))).toEqual(first);
    await expect(replayer.complete(request('one'))).rejects.toMatchObject({ code: 'config' });
    await expect(replayer.complete(request('three'))).rejects.toThrow(/no recorded answer/);
  });

  it('keys requests independently of object key order', () => {
    const a = request('x');
    const b: ModelRequest = {
      settings: { temperature: 0 },
      tools: a.tools,
      conversation: a.conversation,
      instructions: a.instructions,
      model: a.model,
    };
    expect(requestKey(a)).toBe(requestKey(b));
    expect(requestKey(a)).not.toBe(requestKey(request('y')));
  });

  it('ignores a torn last line but refuses a corrupt one in the middle', () => {
    const file = path.join(directory, 'torn.jsonl');
    const line = JSON.stringify({
      version: 1,
      key: 'k',
      request: request('x'),
      response: {
        text: 'a',
        toolCalls: [],
        finishReason: 'stop',
        usage: { inputTokens: 1, outputTokens: 1 },
      },
    });
    fs.writeFileSync(file, `${line}\n{"version":1,"key"`);
    expect(readCassette(file)).toHaveLength(1);
    fs.writeFileSync(file, `{broken\n${line}\n`);
    expect(() => readCassette(file)).toThrow(/torn.jsonl:1: invalid cassette line/);
  });
});
