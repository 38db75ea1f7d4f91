import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { jsonLineBuffers } from '../../src/sessions/json-pieces.js';
import { jsonSha256 } from '../../src/sessions/json-sha256.js';

/**
 * Journal lines and fingerprints serialise JSON piece by piece (issue 10, defect 7): the
 * text must stay exactly `JSON.stringify`'s, or journals would change and every session
 * written before would look edited on resume.
 */

const long = (unit: string, length: number) => unit.repeat(Math.ceil(length / unit.length));
const pairAtBoundary = `${'a'.repeat(64 * 1024 - 1)}😀${'b'.repeat(70_000)}`;

const VALUES: readonly (readonly [string, unknown])[] = [
  ['a scalar', 42],
  ['null', null],
  ['escapes', 'quote " backslash \\ newline \n tab \t control \u0001 lone \ud800 é'],
  ['nested', { b: [1, 'two', null, { c: true }], a: { '': 0, '10': 'x', '2': 'y' } }],
  ['skipped members', { kept: 1, gone: undefined, list: [undefined, () => 1] }],
  ['a date', { when: new Date(0) }],
  ['a long string', long('0123456789"\\\n', 300_000)],
  ['a surrogate pair across a chunk boundary', { value: pairAtBoundary }],
  ['a long key', { [long('key', 100_000)]: long('v', 200_000) }],
  ['many members', Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i]))],
];

describe('JSON in pieces', () => {
  it.each(VALUES)('%s: the digest of JSON.stringify', (_label, value) => {
    const expected = createHash('sha256')
      .update(JSON.stringify(value) ?? 'undefined')
      .digest('hex');
    expect(jsonSha256(value)).toBe(expected);
  });

  it('hashes undefined as the text "undefined"', () => {
    expect(jsonSha256(undefined)).toBe(createHash('sha256').update('undefined').digest('hex'));
  });

  it.each(VALUES)('%s: the journal line is JSON.stringify and a newline', (_label, value) => {
    const buffers = jsonLineBuffers(value);
    expect(Buffer.concat(buffers).toString('utf8')).toBe(`${JSON.stringify(value)}\n`);
  });

  it('never holds a large value as one more whole copy', () => {
    const buffers = jsonLineBuffers({ big: long('x', 1_000_000) });
    expect(buffers.length).toBeGreaterThan(10);
    expect(Math.max(...buffers.map((buffer) => buffer.length))).toBeLessThan(200 * 1024);
  });
});
