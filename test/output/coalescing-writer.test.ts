import { setImmediate as nextTurn } from 'node:timers/promises';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CoalescingWriter } from '../../src/output/coalescing-writer.js';

/** A stream that records each write call separately. */
function recordingStream(): { stream: NodeJS.WritableStream; writes: string[] } {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      writes.push(chunk.toString());
      callback();
    },
  });
  return { stream, writes };
}

describe('CoalescingWriter', () => {
  it('turns the writes of one event-loop turn into one write, in order', async () => {
    const { stream, writes } = recordingStream();
    const writer = new CoalescingWriter(stream);
    writer.write('a\n');
    writer.write('');
    writer.write('b\n');
    expect(writes).toEqual([]);
    await nextTurn();
    expect(writes).toEqual(['a\nb\n']);
    writer.write('c\n');
    writer.flush();
    writer.flush();
    expect(writes).toEqual(['a\nb\n', 'c\n']);
    await nextTurn();
    expect(writes).toHaveLength(2);
  });

  it('writes at once when the buffer passes its limit', () => {
    const { stream, writes } = recordingStream();
    const writer = new CoalescingWriter(stream, 8);
    writer.write('12345');
    expect(writes).toEqual([]);
    writer.write('6789');
    expect(writes).toEqual(['123456789']);
  });
});
