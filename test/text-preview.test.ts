import { describe, expect, it } from 'vitest';
import { tailLines } from '../src/text-preview.js';

describe('tailLines', () => {
  it('keeps the newest lines within the line and byte limits, oldest first', () => {
    const lines = ['one', 'two', 'three', 'four'];
    expect(tailLines(lines, { maxLines: 2, maxBytes: 100 })).toEqual(['three', 'four']);
    // "four\n" and "three\n" are 11 bytes; "two\n" would make 15.
    expect(tailLines(lines, { maxLines: 10, maxBytes: 14 })).toEqual(['three', 'four']);
    expect(tailLines([], { maxLines: 10, maxBytes: 14 })).toEqual([]);
  });

  it('cuts only a newest line that alone is too large, at a character boundary, with …', () => {
    const kept = tailLines(['old', 'é'.repeat(100)], { maxLines: 20, maxBytes: 21 });
    expect(kept).toEqual([`${'é'.repeat(8)}…`]);
    expect(Buffer.byteLength(kept[0] ?? '') + 1).toBeLessThanOrEqual(21);
  });
});
