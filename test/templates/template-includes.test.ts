import { describe, expect, it } from 'vitest';
import { createTestRenderer, thrownBy } from './template-test-kit.js';

const prompts = {
  'examples.prompts.greeting': 'Hello {{ globals.name }}!',
  'examples.prompts.outer': 'outer[{% include "examples.prompts.inner" %}]',
  'examples.prompts.inner': 'inner {{ result.id }}',
  'examples.prompts.broken_value': 'fine\nstill fine\n  {{ globals.missing }}',
  'examples.prompts.broken_syntax': 'ok\n{% if %}',
  'examples.prompts.includes_unknown': '{% include "examples.prompts.nope" %}',
};
const context = { globals: { name: 'Ada' }, result: { id: 7 } };

describe('include by dotted name', () => {
  it('renders an included prompt in the same context', () => {
    const { renderer } = createTestRenderer({ prompts });
    expect(renderer.render("Say: {% include 'examples.prompts.greeting' %}", context)).toBe(
      'Say: Hello Ada!',
    );
  });

  it('renders a prompt that includes another prompt, with loop variables visible', () => {
    const { renderer } = createTestRenderer({ prompts });
    const template =
      '{% for result in [{"id": 1}, {"id": 2}] %}{% include "examples.prompts.outer" %};{% endfor %}';
    expect(renderer.render(template, context)).toBe('outer[inner 1];outer[inner 2];');
  });

  it('resolves each prompt once for repeated renders', () => {
    const { renderer, resolved } = createTestRenderer({ prompts });
    for (let index = 0; index < 5; index += 1) {
      expect(
        renderer.render('{% include "examples.prompts.outer" %}', { result: { id: index } }),
      ).toBe(`outer[inner ${index}]`);
    }
    expect(resolved).toEqual(['examples.prompts.outer', 'examples.prompts.inner']);
  });

  it('fails clearly for an unknown name, at the include', () => {
    const { renderer } = createTestRenderer({ prompts });
    const error = thrownBy(() =>
      renderer.render('first\n{% include "examples.prompts.nope" %}', context),
    );
    expect(error.code).toBe('reference-unresolved');
    expect(error.message).toBe(
      'cannot include "examples.prompts.nope": unknown prompt "examples.prompts.nope"',
    );
    expect([error.line, error.column]).toEqual([2, 12]);
  });

  it('names the file and line inside the included prompt for an undefined variable there', () => {
    const { renderer } = createTestRenderer({ prompts });
    const error = thrownBy(() =>
      renderer.render('a\n{% include "examples.prompts.broken_value" %}', context, {
        templateName: 'flow.yaml',
      }),
    );
    expect(error.message).toBe('undefined variable "globals.missing"');
    expect(error.filePath).toBe('examples/prompts/broken_value.yaml');
    expect([error.line, error.column]).toEqual([3, 6]);
  });

  it('names the included prompt for a syntax error in it, and for an unknown nested include', () => {
    const { renderer } = createTestRenderer({ prompts });
    const syntax = thrownBy(() =>
      renderer.render('{% include "examples.prompts.broken_syntax" %}', context),
    );
    expect(syntax.code).toBe('template');
    expect(syntax.message).toBe('unexpected token: %}');
    expect(syntax.filePath).toBe('examples/prompts/broken_syntax.yaml');
    expect([syntax.line, syntax.column]).toEqual([2, 7]);
    const nested = thrownBy(() =>
      renderer.render('{% include "examples.prompts.includes_unknown" %}', context),
    );
    expect(nested.code).toBe('reference-unresolved');
    expect(nested.filePath).toBe('examples/prompts/includes_unknown.yaml');
  });

  it('renders nothing for an unknown name marked `ignore missing`', () => {
    const { renderer } = createTestRenderer({ prompts });
    expect(renderer.render('[{% include "examples.prompts.nope" ignore missing %}]', context)).toBe(
      '[]',
    );
  });

  it('serves extends and import through the same loader', () => {
    const { renderer } = createTestRenderer({
      prompts: {
        'p.base': 'head {% block body %}base{% endblock %}',
        'p.macros': '{% macro shout(text) %}{{ text | upper }}!{% endmacro %}',
      },
    });
    expect(
      renderer.render(
        '{% extends "p.base" %}{% block body %}child+{{ super() }}{% endblock %}',
        {},
      ),
    ).toBe('head child+base');
    expect(renderer.render('{% import "p.macros" as m %}{{ m.shout("hi") }}', {})).toBe('HI!');
  });

  it('reports errors of the top template under templateName', () => {
    const { renderer } = createTestRenderer({ prompts });
    const error = thrownBy(() =>
      renderer.render('{{ nope }}', context, { templateName: 'flows/x.yaml' }),
    );
    expect(error.filePath).toBe('flows/x.yaml');
  });
});

describe('listIncludes', () => {
  it('lists literal prompt names once, in order, and skips computed and optional ones', () => {
    const { renderer } = createTestRenderer();
    const template =
      '{% include "a.b" %}{% include name %}\n{% if x %}{% include \'c.d\' %}{% endif %}{% include "a.b" %}' +
      '{% include "e.f" ignore missing %}{% import "g.h" as g %}';
    expect(renderer.listIncludes(template)).toEqual(['a.b', 'c.d', 'g.h']);
  });

  it('returns [] for a template with a syntax error and does not resolve anything', () => {
    const { renderer, resolved } = createTestRenderer();
    expect(renderer.listIncludes('{% include "a.b" %}{% if %}')).toEqual([]);
    expect(renderer.listIncludes('{% include "a.b" %}')).toEqual(['a.b']);
    expect(resolved).toEqual([]);
  });
});
