import { describe, expect, it } from 'vitest';
import { REDACTED, Redactor } from '../src/redactor.js';

describe('Redactor.redactValue', () => {
  it('returns a redacted copy when a string inside holds a secret', () => {
    const redactor = new Redactor();
    redactor.add('s3cret-token');
    const value = { message: { content: 'use s3cret-token now' }, items: ['s3cret-token', 2] };
    expect(redactor.redactValue(value)).toEqual({
      message: { content: `use ${REDACTED} now` },
      items: [REDACTED, 2],
    });
    expect(value.items[0]).toBe('s3cret-token');
  });

  it('returns the value itself when nothing in it is secret', () => {
    const redactor = new Redactor();
    redactor.add('s3cret-token');
    const value = { message: { content: 'nothing to hide' }, usage: { inputTokens: 3 } };
    expect(redactor.redactValue(value)).toBe(value);
    expect(redactor.redactValue(undefined)).toBeUndefined();
  });
});
