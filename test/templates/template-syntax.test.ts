import { describe, expect, it } from 'vitest';
import { createTestRenderer, thrownBy } from './template-test-kit.js';

describe('syntax errors', () => {
  it('throws a template error with line and column and a clean message', () => {
    const { renderer } = createTestRenderer();
    const error = thrownBy(() => renderer.render('line one\n  {% if %}yes{% endif %}', {}));
    expect(error.code).toBe('template');
    expect(error.message).toBe('unexpected token: %}');
    expect([error.line, error.column]).toEqual([2, 9]);
    expect(error.message).not.toMatch(/unknown path|Template render error/);
  });

  it('positions an unclosed tag at the end of the text', () => {
    const { renderer } = createTestRenderer();
    const error = thrownBy(() => renderer.render('a\nb {{ x', { x: 1 }));
    expect(error.message).toBe('expected variable end');
    expect([error.line, error.column]).toEqual([2, 7]);
  });

  it('reports unknown filters and tests before rendering', () => {
    const { renderer } = createTestRenderer();
    const error = thrownBy(() => renderer.render('{{ 1 }}\n{{ x | shout }}', {}));
    expect(error.message).toBe('unknown filter "shout"');
    expect([error.line, error.column]).toEqual([2, 8]);
  });
});

describe('checkSyntax', () => {
  it('returns [] for a valid template, even one that would fail to render', () => {
    const { renderer, envReads, resolved } = createTestRenderer();
    expect(
      renderer.checkSyntax("{{ undefined_thing }} {{ env('UNSET') }} {% include 'no.such' %}"),
    ).toEqual([]);
    expect(envReads).toEqual([]);
    expect(resolved).toEqual([]);
  });

  it('returns issues instead of throwing', () => {
    const { renderer } = createTestRenderer();
    expect(renderer.checkSyntax('ok\n{% for %}')).toEqual([
      { line: 2, column: 8, message: 'unexpected token: %}' },
    ]);
    expect(renderer.checkSyntax('{{ a | nope }} {{ b is nope2 }}')).toEqual([
      { line: 1, column: 8, message: 'unknown filter "nope"' },
      { line: 1, column: 24, message: 'unknown test "nope2"' },
    ]);
    expect(renderer.checkSyntax('{% if x %}unclosed')).toEqual([
      { line: 1, column: 19, message: 'expected elif, else, or endif, got end of file' },
    ]);
  });
});

describe('checkExpressionSyntax', () => {
  it('accepts expressions, also written in braces', () => {
    const { renderer } = createTestRenderer();
    expect(renderer.checkExpressionSyntax("globals.mode == 'deep' and outputs.x")).toBeUndefined();
    expect(renderer.checkExpressionSyntax('{{ outputs.list }}')).toBeUndefined();
  });

  it('positions issues relative to the expression text', () => {
    const { renderer } = createTestRenderer();
    expect(renderer.checkExpressionSyntax('a + * b')).toEqual({
      line: 1,
      column: 5,
      message: 'unexpected token: *',
    });
    expect(renderer.checkExpressionSyntax('a b')?.message).toBe('expected variable end');
    expect(renderer.checkExpressionSyntax('x | nofilter')).toEqual({
      line: 1,
      column: 5,
      message: 'unknown filter "nofilter"',
    });
  });
});
