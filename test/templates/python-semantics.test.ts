import nunjucks from 'nunjucks';
import { describe, expect, it } from 'vitest';
import { pythonFloat, pythonRepr } from '../../src/templates/python-repr.js';
import { toJsonFilter } from '../../src/templates/python-json.js';
import { createTestRenderer, thrownBy } from './template-test-kit.js';

/**
 * The Python side of the renderer that seclab's files do not show directly: what method
 * calls can reach, where their errors point, number printing, and that nunjucks itself is
 * left as it was (expected values from Python 3.11 / Jinja2 3.1.6).
 */

const context = { globals: { fruit: 'apple', d: { a: 1 }, l: [1, 2] } };

describe('method calls', () => {
  it('reach only the Python methods of the value type, never JS members', () => {
    const { renderer } = createTestRenderer();
    const cases: [string, string, number][] = [
      ['{{ globals.fruit.toUpperCase() }}', 'globals.fruit (str) has no method "toUpperCase"', 18],
      [
        '{{ globals.fruit.constructor("x") }}',
        'globals.fruit (str) has no method "constructor"',
        18,
      ],
      [
        '{{ globals.d.hasOwnProperty("a") }}',
        'globals.d (dict) has no method "hasOwnProperty"',
        14,
      ],
      ['{{ globals.l.push(3) }}', 'globals.l (list) has no method "push"', 14],
      ['{{ range.constructor("return 1")() }}', 'range (function) has no method "constructor"', 10],
    ];
    for (const [template, message, column] of cases) {
      const error = thrownBy(() => renderer.render(template, context));
      expect(error.code, template).toBe('template');
      expect(error.message, template).toBe(message);
      expect([error.line, error.column], template).toEqual([1, column]);
    }
  });

  it('leave out the methods that change data, so a prompt cannot alter globals or outputs', () => {
    const { renderer } = createTestRenderer();
    const data = { globals: { d: { a: 1 }, l: [1, 2] } };
    for (const template of [
      '{{ globals.d.update({"b": 2}) }}',
      '{{ globals.d.pop("a") }}',
      '{{ globals.l.append(3) }}',
      '{{ globals.l.pop() }}',
    ])
      expect(thrownBy(() => renderer.render(template, data)).message).toMatch(/has no method/);
    expect(data).toEqual({ globals: { d: { a: 1 }, l: [1, 2] } });
  });

  it('still call functions a value holds itself (cycler, imported macros)', () => {
    const { renderer } = createTestRenderer({
      prompts: { 'p.macros': '{% macro pair(a, b="-") %}{{ a }}{{ b }}{% endmacro %}' },
    });
    expect(
      renderer.render(
        '{% set c = cycler("x", "y") %}{{ c.next() }}{{ c.next() }}{{ c.next() }} ' +
          '{% import "p.macros" as m %}{{ m.pair(1) }}{{ m.pair(2, b="+") }}',
        {},
      ),
    ).toBe('xyx 1-2+');
  });

  it('report errors of their arguments at the method name', () => {
    const { renderer } = createTestRenderer();
    const error = thrownBy(() =>
      renderer.render('line\n  {{ globals.fruit.split(",", bad=1) }}', context),
    );
    expect(error.message).toBe("split() got an unexpected keyword argument 'bad'");
    expect([error.line, error.column]).toEqual([2, 20]);
    expect(thrownBy(() => renderer.render('{{ "{} {}".format(1) }}', context)).message).toBe(
      'Replacement index 1 out of range for positional args tuple',
    );
  });

  it('need the value to exist (strict undefined), and name it', () => {
    const { renderer } = createTestRenderer();
    const error = thrownBy(() => renderer.render('{{ globals.missing.get("a") }}', context));
    expect(error.message).toBe('undefined variable "globals.missing"');
    expect(thrownBy(() => renderer.render('{{ globals.d.get("a").x }}', context)).message).toBe(
      'undefined variable "globals.d.get(...).x"',
    );
  });
});

describe('slices and indices', () => {
  it('fail clearly for what Python rejects, at the bracket', () => {
    const { renderer } = createTestRenderer();
    const cases: [string, string, number][] = [
      ['{{ globals.d[1:2] }}', "cannot slice {'a': 1}: only a str or a list can be sliced", 13],
      ['{{ globals.l[::0] }}', 'slice step cannot be zero', 13],
      ['{{ globals.l[1:"a"] }}', 'slice indices must be integers or None', 13],
    ];
    for (const [template, message, column] of cases) {
      const error = thrownBy(() => renderer.render(template, context));
      expect(error.message, template).toBe(message);
      expect([error.line, error.column], template).toEqual([1, column]);
    }
    expect(thrownBy(() => renderer.render('{{ globals.l[5] }}', context)).message).toBe(
      'undefined variable "globals.l[5]"',
    );
  });

  it('are syntax errors when malformed', () => {
    const { renderer } = createTestRenderer();
    expect(renderer.checkSyntax('{{ x[1:2:3:4] }}')).toEqual([
      { line: 1, column: 11, message: 'too many parts in a slice' },
    ]);
    expect(renderer.checkSyntax('{{ x[] }}')[0]?.message).toBe('expected an index inside "[]"');
    expect(renderer.checkSyntax('{% raw %}{{ open')[0]?.message).toBe('missing {% endraw %}');
  });
});

describe('printing numbers and strings as Python', () => {
  it('uses repr(float) for non-integral numbers', () => {
    const cases: [number, string][] = [
      [1e16, '1e+16'],
      [1e22, '1e+22'],
      [0.0001, '0.0001'],
      [0.00001, '1e-05'],
      [123456789012345.6, '123456789012345.6'],
      [Number('1234567890123456.7'), '1234567890123456.8'],
      [-0.5, '-0.5'],
      [Number.NaN, 'nan'],
      [Number.POSITIVE_INFINITY, 'inf'],
      [1.5e-300, '1.5e-300'],
      [2.5e16, '2.5e+16'],
      [0.1 + 0.7, '0.7999999999999999'],
    ];
    for (const [value, expected] of cases) expect(pythonFloat(value), String(value)).toBe(expected);
  });

  it('quotes and escapes strings as repr(str) does', () => {
    expect(pythonRepr('\x00\x7f\u200b😀é \\ \'"')).toBe(`'\\x00\\x7f\\u200b😀é \\\\ \\'"'`);
    expect(toJsonFilter(['\x00\x7fé'])).toBe('["\\u0000\\u007f\\u00e9"]');
  });

  it('rounds exact ties to even in %-formatting and str.format, as Python does', () => {
    const { renderer } = createTestRenderer();
    expect(
      renderer.render(
        '{{ "%.0f %.0f %5.1e %#x %+d %c %c" | format(2.5, 3.5, 12345.0, 255, 3, 65, "z") }}',
        {},
      ),
    ).toBe('2 4 1.2e+04 0xff +3 A z');
    expect(
      renderer.render(
        '{{ "{:.0f} {:e} {:g} {:g} {:.2%} {:n}".format(2.5, 0, 1e-5, 123456789.5, 0.12345, 1234) }}',
        {},
      ),
    ).toBe('2 0.000000e+00 1e-05 1.23457e+08 12.35% 1234');
  });
});

describe('nunjucks itself', () => {
  it('is not patched: other environments keep nunjucks behaviour', () => {
    const internals = nunjucks as unknown as {
      runtime: { memberLookup: unknown; contextOrFrameLookup: unknown };
      parser: { Parser: { prototype: Record<string, unknown> } };
    };
    const before = {
      memberLookup: internals.runtime.memberLookup,
      contextOrFrameLookup: internals.runtime.contextOrFrameLookup,
      parsePostfix: internals.parser.Parser.prototype['parsePostfix'],
      parseAggregate: internals.parser.Parser.prototype['parseAggregate'],
    };
    const { renderer } = createTestRenderer();
    expect(
      renderer.render('a\n{# c #}\n{{ globals.d.items() | list }} {{ globals.l[-1:] }}', context),
    ).toBe("a\n[('a', 1)] [2]");
    expect({
      memberLookup: internals.runtime.memberLookup,
      contextOrFrameLookup: internals.runtime.contextOrFrameLookup,
      parsePostfix: internals.parser.Parser.prototype['parsePostfix'],
      parseAggregate: internals.parser.Parser.prototype['parseAggregate'],
    }).toEqual(before);
    const plain = new nunjucks.Environment(null, { trimBlocks: true, lstripBlocks: true });
    expect(plain.renderString('a\n{# c #}\n{{ x }}\n', { x: true })).toBe('a\n\ntrue\n');
  });
});
