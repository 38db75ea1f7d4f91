import { describe, expect, it } from 'vitest';
import { redactCutParts, secretHeadAtEnd } from '../../src/redaction/secret-fragments.js';

const SECRET = 'tok4Tfl0wQz8Lm2Xw9Kd7Rp3';
const R = '[redacted]';

describe('redactCutParts', () => {
  it('replaces heads before and tails after every cut mark', () => {
    const text = `a ${SECRET.slice(0, 6)}… middle …${SECRET.slice(-5)} b ${SECRET.slice(0, 10)}…`;
    expect(redactCutParts(text, [SECRET], R)).toBe(`a ${R}… middle …${R} b ${R}…`);
  });

  it('returns the very same string when nothing is cut', () => {
    const text = `${'x'.repeat(10_000)}… and tok… (three characters)`;
    expect(redactCutParts(text, [SECRET], R)).toBe(text);
  });

  it('finds the head of a long secret (a PEM key) with repeated characters', () => {
    const pem = `-----BEGIN KEY-----${'a'.repeat(3000)}b-----END KEY-----`;
    const cut = `key: ${pem.slice(0, 2500)}…`;
    expect(redactCutParts(cut, [pem], R)).toBe(`key: ${R}…`);
    expect(secretHeadAtEnd(`aaa${'a'.repeat(50)}`, [pem])).toBe(0);
    expect(secretHeadAtEnd('x -----BEG', [pem])).toBe(8);
  });
});
