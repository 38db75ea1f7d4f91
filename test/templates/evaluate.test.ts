import { describe, expect, it } from 'vitest';
import { isTruthy } from '../../src/templates/template-renderer.js';
import { createTestRenderer, thrownBy } from './template-test-kit.js';

const context = {
  globals: { flag: true, mode: 'deep', count: 0 },
  outputs: { x: { ok: 1 }, list_functions: { functions: ['f', 'g'] }, empty: [] },
};

describe('evaluate', () => {
  it('returns JS values: lists stay lists', () => {
    const { renderer } = createTestRenderer();
    const functions = renderer.evaluate('outputs.list_functions.functions', context);
    expect(functions).toEqual(['f', 'g']);
    expect(Array.isArray(functions)).toBe(true);
    expect(renderer.evaluate('{{ outputs.x }}', context)).toEqual({ ok: 1 });
  });

  it('evaluates conditions to truthy and falsy values', () => {
    const { renderer } = createTestRenderer();
    expect(isTruthy(renderer.evaluate('globals.flag and outputs.x', context))).toBe(true);
    expect(renderer.evaluate("globals.mode == 'deep'", context)).toBe(true);
    expect(renderer.evaluate("globals.mode == 'quick'", context)).toBe(false);
    expect(isTruthy(renderer.evaluate('globals.count', context))).toBe(false);
    expect(isTruthy(renderer.evaluate('outputs.empty and globals.flag', context))).toBe(false);
    expect(renderer.evaluate('not outputs.empty', context)).toBe(true);
  });

  it('evaluates undefined names and members to undefined without an error', () => {
    const { renderer } = createTestRenderer();
    expect(renderer.evaluate('outputs.missing', context)).toBeUndefined();
    expect(renderer.evaluate('nothing.at.all', context)).toBeUndefined();
    expect(renderer.evaluate('outputs.missing is defined', context)).toBe(false);
  });

  it('can read the environment', () => {
    const { renderer, envReads } = createTestRenderer({ environment: { MODE: 'ci' } });
    expect(renderer.evaluate("env('MODE') == 'ci'", {})).toBe(true);
    expect(envReads).toEqual([['MODE', 'ci']]);
    const error = thrownBy(() => renderer.evaluate("env('UNSET')", {}));
    expect(error.message).toBe('environment variable "UNSET" is not set');
    expect([error.line, error.column]).toEqual([1, 1]);
  });

  it('throws a template error for a syntax error, positioned in the expression', () => {
    const { renderer } = createTestRenderer();
    const error = thrownBy(() => renderer.evaluate('globals.flag and', context));
    expect(error.code).toBe('template');
    expect([error.line, error.column]).toEqual([1, 17]);
    expect(thrownBy(() => renderer.evaluate('a }} text {{ b', context)).message).toBe(
      'expected a single expression',
    );
  });
});

describe('isTruthy', () => {
  it('follows Jinja truthiness', () => {
    for (const falsy of [false, null, undefined, 0, Number.NaN, '', [], {}, new Map()])
      expect(isTruthy(falsy)).toBe(false);
    for (const truthy of [true, 1, -1, 'x', [0], { a: undefined }, new Set([1])])
      expect(isTruthy(truthy)).toBe(true);
  });
});
