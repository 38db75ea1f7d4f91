import { describe, expect, it } from 'vitest';
import { JsonRpcLineReader, type LineReadResult } from '../../src/toolbox/json-rpc-line-reader.js';
import { TopLevelKeyScanner } from '../../src/toolbox/top-level-key-scanner.js';

/** Feeds `text` in pieces of `pieceBytes` and collects every result. */
function readAll(reader: JsonRpcLineReader, text: string, pieceBytes: number): LineReadResult[] {
  const bytes = Buffer.from(text);
  const results: LineReadResult[] = [];
  for (let offset = 0; offset < bytes.length; offset += pieceBytes) {
    results.push(...reader.push(bytes.subarray(offset, offset + pieceBytes)));
  }
  return results;
}

const response = (id: number | string, text: string): string =>
  `${JSON.stringify({ result: { content: [{ type: 'text', text }] }, jsonrpc: '2.0', id })}\n`;

describe('JsonRpcLineReader', () => {
  it('frames messages across chunk boundaries, with CRLF, and reports lines that are not JSON-RPC', () => {
    const reader = new JsonRpcLineReader(1000);
    const results = readAll(reader, `${response(1, 'a')}banner\r\n${response(2, 'b')}`, 7);
    expect(results.map((result) => result.kind)).toEqual(['message', 'invalid', 'message']);
    expect(results[2]).toMatchObject({ kind: 'message', message: { id: 2 } });
  });

  it('drops a line over the limit, keeps its id, and reads the next line normally', () => {
    const reader = new JsonRpcLineReader(1000);
    const big = response(7, `${'x'.repeat(3000)}"\\}{,:"id":9`);
    for (const pieceBytes of [1, 100, 5000]) {
      const results = readAll(reader, big + response(8, 'small'), pieceBytes);
      expect(results).toHaveLength(2);
      expect(results[0]).toEqual({
        kind: 'oversized',
        line: { bytes: big.length - 1, limitBytes: 1000, id: 7, hasMethod: false },
      });
      expect(results[1]).toMatchObject({ kind: 'message', message: { id: 8 } });
    }
  });

  it('a line of exactly the limit is read; one byte more is not', () => {
    const line = response(1, 'abc').trimEnd();
    const exact = new JsonRpcLineReader(line.length);
    expect(exact.push(Buffer.from(`${line}\n`))[0]?.kind).toBe('message');
    const under = new JsonRpcLineReader(line.length - 1);
    expect(under.push(Buffer.from(`${line}\n`))[0]).toMatchObject({
      kind: 'oversized',
      line: { bytes: line.length, id: 1 },
    });
  });

  it('tells requests and notifications from the server apart from answers', () => {
    const reader = new JsonRpcLineReader(50);
    const request = `${JSON.stringify({ jsonrpc: '2.0', id: 'r1', method: 'sampling/createMessage', params: { text: 'y'.repeat(100) } })}\n`;
    const notification = `${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: { data: 'z'.repeat(100) } })}\n`;
    expect(readAll(reader, request + notification, 64)).toEqual([
      {
        kind: 'oversized',
        line: { bytes: request.length - 1, limitBytes: 50, id: 'r1', hasMethod: true },
      },
      {
        kind: 'oversized',
        line: { bytes: notification.length - 1, limitBytes: 50, hasMethod: true },
      },
    ]);
  });

  it('keeps no id from garbage without newlines until the line ends', () => {
    const reader = new JsonRpcLineReader(10);
    expect(reader.push(Buffer.from('not json at all '.repeat(100)))).toEqual([]);
    expect(reader.push(Buffer.from('\n'))).toEqual([
      { kind: 'oversized', line: { bytes: 1600, limitBytes: 10, hasMethod: false } },
    ]);
  });
});

describe('TopLevelKeyScanner', () => {
  const scan = (text: string) => {
    const scanner = new TopLevelKeyScanner();
    scanner.feed(Buffer.from(text));
    return { id: scanner.id, hasMethod: scanner.hasMethod };
  };

  it('reads only top-level keys, whatever nested values and strings hold', () => {
    expect(scan('{"id":7}')).toEqual({ id: 7, hasMethod: false });
    expect(scan(' { "jsonrpc" : "2.0" , "id" : "a\\"b" } ')).toEqual({
      id: 'a"b',
      hasMethod: false,
    });
    expect(scan('{"result":{"id":1,"method":"x"},"list":[{"id":2}],"text":"\\"id\\":3"}')).toEqual({
      id: undefined,
      hasMethod: false,
    });
    expect(scan('{"method":"ping","id":0}')).toEqual({ id: 0, hasMethod: true });
  });

  it('ignores ids that are not numbers or strings, or are too long to be ours', () => {
    expect(scan('{"id":null}').id).toBeUndefined();
    expect(scan('{"id":{"n":1}}').id).toBeUndefined();
    expect(scan(`{"id":"${'9'.repeat(300)}"}`).id).toBeUndefined();
  });
});
