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

  it('points an unclosed {{, {% or {# at where it opens', () => {
    const { renderer } = createTestRenderer();
    const error = thrownBy(() => renderer.render('a\nb {{ x', { x: 1 }));
    expect(error.message).toBe('expected variable end: this "{{" is never closed with "}}"');
    expect([error.line, error.column]).toEqual([2, 3]);
    // The parser gives up further on (at "more"): the opener is still what to fix.
    expect(renderer.checkSyntax('{{ a }} and\n  {{ b\nmore text')).toEqual([
      { line: 2, column: 3, message: 'expected variable end: this "{{" is never closed with "}}"' },
    ]);
    // Any error after an opener that is never closed points at the opener.
    expect(renderer.checkSyntax('{{ a }} and\n  {% if x\nmore text {{ b }} nope')).toEqual([
      {
        line: 2,
        column: 3,
        message: 'expected block end in if statement: this "{%" is never closed with "%}"',
      },
    ]);
    const tag = renderer.checkSyntax('{{ a }} and\n  {% if x');
    expect(tag).toHaveLength(1);
    expect(tag[0]).toMatchObject({ line: 2, column: 3 });
    expect(tag[0]?.message).toMatch(/: this "\{%" is never closed with "%\}"$/);
    const comment = renderer.checkSyntax('text {# a note\n\nthat runs on');
    expect(comment).toEqual([
      expect.objectContaining({
        line: 1,
        column: 6,
        message: expect.stringMatching(/"\{#" is never closed/) as unknown,
      }),
    ]);
  });

  it('positions an unclosed block at the end of the text', () => {
    const { renderer } = createTestRenderer();
    expect(renderer.checkSyntax('{% if x %}\nunclosed\n')).toEqual([
      { line: 2, column: 9, message: 'expected elif, else, or endif, got end of file' },
    ]);
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
