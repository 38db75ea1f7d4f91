import { afterEach, describe, expect, it } from 'vitest';
import { TaskflowError } from '../../src/errors.js';
import { createTestRenderer, thrownBy } from './template-test-kit.js';

/**
 * Issue 10 defect 12: templates cannot run JavaScript. Every payload below would set a
 * global sentinel if any code of its choosing ran; each must fail with a positioned
 * template error and leave the sentinel unset. Values are data, the template's own
 * functions (env, range, cycler, joiner, macros, caller) stay callable.
 */

const SENTINEL = '__taskflowSandboxProbe';
const CODE = `globalThis.${SENTINEL} = 1`;
const sentinel = () => (globalThis as Record<string, unknown>)[SENTINEL];

/** What `action` threw (undefined when it returned), checking first that no payload ran. */
function refusal(action: () => unknown): TaskflowError {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(sentinel(), 'the payload ran').toBeUndefined();
  expect(thrown, 'nothing was refused').toBeInstanceOf(TaskflowError);
  const error = thrown as TaskflowError;
  // An include of a name that is no prompt is refused as an unresolved reference.
  expect(['template', 'reference-unresolved'], error.message).toContain(error.code);
  expect(error.line, error.message).toBeGreaterThanOrEqual(1);
  expect(error.column, error.message).toBeGreaterThanOrEqual(1);
  return error;
}

afterEach(() => {
  delete (globalThis as Record<string, unknown>)[SENTINEL];
});

const context = {
  globals: { k: 'constructor', p: '__proto__', code: CODE, d: { a: 1 }, l: [1, 2], s: 'abc' },
};

const RENDER_ESCAPES: readonly (readonly [string, string])[] = [
  ['method call on a global', `{{ range.constructor("${CODE}")() }}`],
  ['string constructor chain', `{{ "x".constructor.constructor("${CODE}")() }}`],
  ['number constructor chain', `{{ (1).constructor.constructor("${CODE}")() }}`],
  ['dict literal constructor chain', `{{ {}.constructor.constructor("${CODE}")() }}`],
  ['array method', `{{ [].map.constructor("${CODE}")() }}`],
  ['array method call', `{{ [].map.call.constructor("${CODE}")() }}`],
  ['array method as a value', `{{ ([].map.call)(range[globals.k], "${CODE}") }}`],
  ['prototype of a global', `{{ cycler.__proto__.constructor("${CODE}")() }}`],
  ['cycler method', `{{ cycler(1).next.constructor("${CODE}")() }}`],
  ['cycler method, computed', `{{ (cycler(1).next[globals.k])("${CODE}")() }}`],
  ['joiner result', `{{ joiner().constructor("${CODE}")() }}`],
  ['joiner result, computed', `{% set j = joiner() %}{{ (j[globals.k])("${CODE}")() }}`],
  ['env()', `{{ env.constructor("${CODE}")() }}`],
  ['env(), computed', `{{ env[globals.k]("${CODE}")() }}`],
  ['computed key from data', `{{ range[globals.k][globals.k]("${CODE}")() }}`],
  ['computed key from set', `{% set c = "constructor" %}{{ range[c][c]("${CODE}")() }}`],
  ['computed key from a concatenation', `{{ range["constr" ~ "uctor"](globals.code)() }}`],
  ['set to a constructor', `{% set f = range.constructor %}{{ f("${CODE}")() }}`],
  ['set block', `{% set f %}x{% endset %}{{ f[globals.k][globals.k]("${CODE}")() }}`],
  ['grouped callee', `{{ (range.constructor)("${CODE}")() }}`],
  ['grouped string callee', `{{ ("x".constructor.constructor)("${CODE}")() }}`],
  ['inline if callee', `{{ (range[globals.k] if 1 else 0)("${CODE}")() }}`],
  ['filter output callee', `{{ (range[globals.k] | default(1))("${CODE}")() }}`],
  ['filter returning a function', `{{ ([range] | first)[globals.k]("${CODE}")() }}`],
  ['function in a list', `{{ [range[globals.k]][0]("${CODE}")() }}`],
  ['function in a dict', `{{ {"a": range[globals.k]}.a("${CODE}")() }}`],
  ['loop object', `{% for x in [1] %}{{ loop[globals.k][globals.k]("${CODE}")() }}{% endfor %}`],
  [
    'loop object, literal',
    `{% for x in [1] %}{{ loop.constructor.constructor("${CODE}")() }}{% endfor %}`,
  ],
  ['macro', `{% macro m() %}x{% endmacro %}{{ m[globals.k]("${CODE}")() }}`],
  ['macro result', `{% macro m() %}x{% endmacro %}{{ m()[globals.k][globals.k]("${CODE}")() }}`],
  [
    'caller',
    `{% macro m() %}{{ caller[globals.k]("${CODE}")() }}{% endmacro %}{% call m() %}x{% endcall %}`,
  ],
  ['macro default value', `{% macro m(a=range[globals.k]("${CODE}")()) %}{% endmacro %}{{ m() }}`],
  ['import of an expression', `{% import range[globals.k]("${CODE}")() as y %}`],
  ['inherited name', `{{ constructor("${CODE}")() }}`],
  ['inherited name, computed', `{{ valueOf[globals.k]("${CODE}")() }}`],
  [
    'prototype write, then inherited name',
    `{% set __proto__ = range %}{{ constructor("${CODE}")() }}`,
  ],
  ['prototype write through a computed key', `{{ (range[globals.p][globals.k])("${CODE}")() }}`],
  ['dict literal with a prototype key', `{{ {"__proto__": range}[globals.k]("${CODE}")() }}`],
  ['attribute write', `{% set globals.__proto__ = range %}{{ globals[globals.k]("${CODE}")() }}`],
  ['data prototype chain', `{{ globals.s.__proto__.constructor.constructor("${CODE}")() }}`],
  ['data constructor, computed', `{{ globals.d[globals.k][globals.k]("${CODE}")() }}`],
  ['list constructor, computed', `{{ globals.l[globals.k][globals.k]("${CODE}")() }}`],
  ['runtime helper by name', `{{ __taskflow_value[globals.k]("${CODE}")() }}`],
  ['runtime helper call', '{{ __taskflow_capture(globals, 1) }}'],
  ['str.format attribute', `{{ "{0.constructor.constructor}".format(range) }}`],
  ['map attribute', `{{ ([range] | map(attribute="constructor") | first)("${CODE}")() }}`],
  ['unknown filter', `{{ range | attr("constructor") }}`],
  // nunjucks' lexer reads anything up to a delimiter as a name; compiled into JS unescaped.
  ['name with a quote', '{{ x"&&Function`globalThis\\x2e__taskflowSandboxProbe\\x3d1```&&" }}'],
  ['macro argument with a quote', '{% macro m(a"+Function`x`+") %}{% endmacro %}'],
  // A callee name with a backslash and a quote, which nunjucks copies into a JS string.
  [
    'callee name with a backslash',
    `{% macro m(a=x["\\\\\\"+(globalThis.${SENTINEL}=1)+\\""]()) %}{% endmacro %}{{ m() }}`,
  ],
  [
    'include name with a template literal',
    '{% include "p.`${globalThis.__taskflowSandboxProbe=1}`" %}',
  ],
  ['include name with a quote', `{% include "p.\\"+(globalThis.${SENTINEL}=1)+\\"" %}`],
  ['included prompt', "{% include 'p.escape' %}"],
  ['imported macro', "{% import 'p.escape_macro' as e %}{{ e.run() }}"],
];

const PROMPTS = {
  'p.escape': `Shared\n{{ range[globals.k][globals.k]("${CODE}")() }}`,
  'p.escape_macro': `{% macro run() %}{{ range[globals.k][globals.k]("${CODE}")() }}{% endmacro %}`,
};

describe('templates cannot run JavaScript', () => {
  for (const [name, template] of RENDER_ESCAPES) {
    it(`refuses: ${name}`, () => {
      const { renderer } = createTestRenderer({ prompts: PROMPTS });
      const data = structuredClone(context);
      refusal(() => renderer.render(template, data, { templateName: 't.yaml' }));
      expect(data, 'the data changed').toEqual(context);
    });
  }

  const EXPRESSION_ESCAPES: readonly (readonly [string, string])[] = [
    ['computed key', 'range[globals.k][globals.k](globals.code)()'],
    ['grouped callee', `(range.constructor)("${CODE}")()`],
    ['string constructor chain', `"x".constructor.constructor(globals.code)() and 1`],
    ['inherited name', 'constructor(globals.code)'],
    ['prototype of data', 'globals.d[globals.p][globals.k][globals.k](globals.code)()'],
  ];
  for (const [name, expression] of EXPRESSION_ESCAPES) {
    it(`refuses in an expression (if, over): ${name}`, () => {
      const { renderer } = createTestRenderer();
      refusal(() => renderer.evaluate(expression, context));
    });
  }

  it('names what it refuses, where it is', () => {
    const { renderer } = createTestRenderer();
    const cases: [string, string, number][] = [
      ['{{ globals.s.constructor }}', 'cannot read "constructor"', 14],
      ['{{ globals.d[globals.k] }}', 'cannot read "constructor"', 14],
      ['{{ range[globals.k] }}', 'cannot read "constructor"', 10],
      ['{{ (range)(3) }}{{ ([].map)(1) }}', 'cannot read "map"', 24],
      ['{{ constructor }}', '"constructor" cannot be used as a name', 4],
      ['{{ x"y }}', 'invalid name "x"y"', 4],
      ['{{ __taskflow_value }}', 'reserved', 4],
    ];
    for (const [template, message, column] of cases) {
      const error = thrownBy(() => renderer.render(template, context));
      expect(error.message, template).toContain(message);
      expect([error.line, error.column], template).toEqual([1, column]);
    }
  });

  it('reports refusals at load time where the name is written out', () => {
    const { renderer } = createTestRenderer();
    const [issue, ...others] = renderer.checkSyntax('a\n{{ "x".__proto__ }}');
    expect(others).toEqual([]);
    expect([issue?.line, issue?.column]).toEqual([2, 8]);
    expect(issue?.message).toContain('cannot read "__proto__"');
    expect(renderer.checkExpressionSyntax('globals.x.prototype')?.message).toContain('prototype');
    expect(renderer.checkSyntax('{% set x.y = 1 %}')[0]?.message).toContain('name');
  });
});

describe('what templates still do', () => {
  it('read own data of dicts, lists and strings', () => {
    const { renderer } = createTestRenderer();
    const data = { globals: { d: { a: { b: [1, 'xy'] } }, key: 'a' } };
    expect(
      renderer.render(
        '{{ globals.d.a.b[1] }} {{ globals.d[globals.key].b[-1][0] }} {{ globals.d.a.b | length }}',
        data,
      ),
    ).toBe('xy x 2');
  });

  it('read a data key named like a JS internal through .get()', () => {
    const { renderer } = createTestRenderer();
    const data = { globals: JSON.parse('{"d": {"constructor": "c", "__proto__": "p"}}') as object };
    expect(
      renderer.render('{{ globals.d.get("constructor") }} {{ globals.d.get("__proto__") }}', data),
    ).toBe('c p');
    expect(renderer.render('{{ {"__proto__": 1} }}', {})).toBe("{'__proto__': 1}");
  });

  it('call their own functions: env, range, cycler, joiner, macros, caller, imports', () => {
    const { renderer } = createTestRenderer({
      environment: { NAME: 'n' },
      prompts: { 'p.m': '{% macro shout(x) %}{{ x | upper }}!{% endmacro %}' },
    });
    expect(
      renderer.render(
        '{{ env("NAME") }} {{ range(3) | list }} {% set c = cycler("a", "b") %}{{ c.next() }}{{ c.next() }} ' +
          '{% set j = joiner("/") %}{% for x in [1, 2] %}{{ j() }}{{ x }}{% endfor %} ' +
          '{% macro m(a) %}<{{ a }}>{% endmacro %}{% macro w() %}[{{ caller() }}]{% endmacro %}' +
          '{{ m(1) }}{% call w() %}c{% endcall %} {% import "p.m" as p %}{{ p.shout("hi") }}' +
          '{% from "p.m" import shout %}{{ shout("yo") }}',
        {},
      ),
    ).toBe('n [0, 1, 2] ab 1/2 <1>[c] HI!YO!');
  });
});
