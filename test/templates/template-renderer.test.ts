import nunjucks from 'nunjucks';
import { describe, expect, it, vi } from 'vitest';
import { createTestRenderer, thrownBy } from './template-test-kit.js';

const context = {
  globals: {
    fruit: 'apple',
    count: 3,
    nothing: null,
    flag: true,
    off: false,
    list: ['a', 'b'],
    map: { k: [1, 2] },
  },
  inputs: { empty: [] },
  result: null,
};

describe('strict undefined', () => {
  it('names the undefined variable with its line and column in a multi-line template', () => {
    const { renderer } = createTestRenderer();
    const error = thrownBy(() =>
      renderer.render('first line\nsecond {{ globals.fruit }}\nthird {{ globals.apple }}', context),
    );
    expect(error.code).toBe('template');
    expect(error.message).toBe('undefined variable "globals.apple"');
    expect([error.line, error.column]).toEqual([3, 10]);
  });

  it('stops at the first undefined part of a member chain', () => {
    const { renderer } = createTestRenderer();
    expect(thrownBy(() => renderer.render('{{ a.b.c }}', context)).message).toBe(
      'undefined variable "a"',
    );
    expect(thrownBy(() => renderer.render('{{ globals.map.x.y }}', context)).message).toBe(
      'undefined variable "globals.map.x"',
    );
    expect(thrownBy(() => renderer.render('{{ globals.map[inputs.key] }}', context)).message).toBe(
      'undefined variable "inputs.key"',
    );
  });

  it('treats undefined as an error in conditions and loops too (as Jinja StrictUndefined does)', () => {
    const { renderer } = createTestRenderer();
    const inIf = thrownBy(() => renderer.render('{% if globals.missing %}x{% endif %}', context));
    expect(inIf.message).toBe('undefined variable "globals.missing"');
    const inFor = thrownBy(() =>
      renderer.render('{% for x in outputs.list %}{% endfor %}', context),
    );
    expect(inFor.message).toBe('undefined variable "outputs"');
  });

  it('lets `is defined` and `default` handle undefined values', () => {
    const { renderer } = createTestRenderer();
    const template =
      '{% if x is defined %}x{% else %}no-x{% endif %} {{ globals.x | default("d") }} ' +
      '{{ a.b is undefined }} {% if globals.fruit is defined and globals.fruit %}{{ globals.fruit }}{% endif %}';
    expect(renderer.render(template, context)).toBe('no-x d True apple');
  });

  it('fails on a value that is undefined without being a variable', () => {
    const { renderer } = createTestRenderer();
    expect(thrownBy(() => renderer.render('{{ [] | first }}', context)).message).toBe(
      'expression is undefined',
    );
  });
});

describe('output', () => {
  it('prints values as Jinja2 prints Python values, strings as they are', () => {
    const { renderer } = createTestRenderer();
    const rendered = renderer.render(
      '{{ result }}|{{ globals.nothing }}|{{ globals.map }}|{{ globals.list }}|{{ globals.flag }}|{{ globals.off }}|{{ globals.count }}|{{ globals.fruit }}',
      context,
    );
    expect(rendered).toBe("None|None|{'k': [1, 2]}|['a', 'b']|True|False|3|apple");
  });

  it('never renders a value again: template syntax inside data comes out literally', () => {
    const { renderer, envReads } = createTestRenderer({ environment: { X: 'secret' } });
    const toolResult = "{{ env('X') }} {% include 'p.q' %}";
    expect(renderer.render('result: {{ result }}', { result: toolResult })).toBe(
      `result: ${toolResult}`,
    );
    expect(envReads).toEqual([]);
  });

  it('does not HTML-escape', () => {
    const { renderer } = createTestRenderer();
    expect(renderer.render('{{ s }}', { s: '<a href="x">&</a>' })).toBe('<a href="x">&</a>');
  });

  it('applies trim_blocks and lstrip_blocks around block tags', () => {
    const { renderer } = createTestRenderer();
    const template =
      'Items:\n  {% for item in globals.list %}\n  - {{ item }}\n  {% endfor %}\nDone.';
    expect(renderer.render(template, context)).toBe('Items:\n  - a\n  - b\nDone.');
  });

  it('uses Jinja truthiness for empty lists in conditions, `not`, and `or`', () => {
    const { renderer } = createTestRenderer();
    const template =
      '{% if inputs.empty %}full{% else %}empty{% endif %} {{ not inputs.empty }} {{ inputs.empty or "none" }}';
    expect(renderer.render(template, context)).toBe('empty True none');
  });
});

describe('tojson', () => {
  it('serialises objects and lists as Jinja2 does, with an optional indent', () => {
    const { renderer } = createTestRenderer();
    expect(renderer.render('{{ globals.map | tojson }}', context)).toBe('{"k": [1, 2]}');
    expect(renderer.render('{{ globals.list | tojson(2) }}', context)).toBe('[\n  "a",\n  "b"\n]');
    expect(renderer.render('{{ globals.map | tojson(indent=1) }}', context)).toBe(
      '{\n "k": [\n  1,\n  2\n ]\n}',
    );
    expect(renderer.render('{{ globals.fruit | tojson }} {{ result | tojson }}', context)).toBe(
      '"apple" null',
    );
  });
});

describe('env()', () => {
  it('reads the given environment and reports each read', () => {
    const { renderer, envReads } = createTestRenderer({
      environment: { HOME: '/home/me', EMPTY: '' },
    });
    expect(renderer.render("{{ env('HOME') }}[{{ env('EMPTY') }}]", context)).toBe('/home/me[]');
    expect(envReads).toEqual([
      ['HOME', '/home/me'],
      ['EMPTY', ''],
    ]);
  });

  it('fails naming the variable when it is unset', () => {
    const { renderer } = createTestRenderer({ environment: { OTHER: 'x' } });
    const error = thrownBy(() => renderer.render("line 1\n  {{ env('MISSING') }}", context));
    expect(error.code).toBe('template');
    expect(error.message).toBe('environment variable "MISSING" is not set');
    expect([error.line, error.column]).toEqual([2, 6]);
  });

  it('returns the default when unset, without reporting a read', () => {
    const { renderer, envReads } = createTestRenderer({ environment: { SET: 'value' } });
    expect(
      renderer.render("{{ env('MISSING', 'fallback') }} {{ env('SET', 'fallback') }}", context),
    ).toBe('fallback value');
    expect(renderer.render("{{ env('MISSING', default='kw') }}", context)).toBe('kw');
    expect(envReads).toEqual([['SET', 'value']]);
  });

  it('accepts required=false (and Python False) to get an empty string', () => {
    const { renderer } = createTestRenderer();
    expect(
      renderer.render(
        "[{{ env('MISSING', required=false) }}][{{ env('MISSING', required=False) }}]",
        context,
      ),
    ).toBe('[][]');
    expect(
      thrownBy(() => renderer.render("{{ env('MISSING', required=True) }}", context)).message,
    ).toBe('environment variable "MISSING" is not set');
  });

  it('does not see variables that are only in process.env', () => {
    const { renderer } = createTestRenderer();
    expect(process.env['PATH']).toBeDefined();
    expect(thrownBy(() => renderer.render("{{ env('PATH') }}", context)).message).toContain(
      '"PATH" is not set',
    );
  });
});

describe('compiled template cache', () => {
  it('parses a template once however often it is rendered', () => {
    const { renderer } = createTestRenderer();
    // Every parse starts by lexing the text.
    const lexer = (nunjucks as unknown as { lexer: { lex: (...args: unknown[]) => unknown } })
      .lexer;
    const parse = vi.spyOn(lexer, 'lex');
    try {
      const template = 'item {{ result.name }}';
      const outputs = Array.from({ length: 50 }, (_, index) =>
        renderer.render(template, { result: { name: index } }),
      );
      expect(outputs[49]).toBe('item 49');
      expect(parse).toHaveBeenCalledTimes(1);
    } finally {
      parse.mockRestore();
    }
  });
});
