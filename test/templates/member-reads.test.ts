import { describe, expect, it } from 'vitest';
import { createTestRenderer } from './template-test-kit.js';

/** What `listMemberReads` finds: the globals a template reads and whether it may be undefined. */

const { renderer } = createTestRenderer();
const reads = (text: string, options: { expression?: boolean } = {}) =>
  renderer
    .listMemberReads(text, ['globals'], options)
    ?.map((read) => `${read.line}:${read.column} ${read.member}${read.guarded ? ' guarded' : ''}`);

describe('listMemberReads', () => {
  it('finds attribute and literal subscript reads with the position of the root name', () => {
    expect(reads("A {{ globals.fruit }}\n  {{ globals['colour'] | upper }}")).toEqual([
      '1:6 fruit',
      '2:6 colour',
    ]);
  });

  it('reads the first member of a chain, and nothing of other roots or computed keys', () => {
    expect(
      reads('{{ globals.a.b }} {{ inputs.c }} {{ globals[name] }} {{ result.globals }}'),
    ).toEqual(['1:4 a']);
  });

  it('a method call is no member read', () => {
    expect(reads("{{ globals.get('x') }} {{ globals.items() | length }}")).toEqual([]);
  });

  it('default, is defined / undefined and `in` guard the read', () => {
    expect(
      reads(
        "{{ globals.a | default('x') }}{% if globals.b is defined %}{% endif %}" +
          "{% if globals.c is undefined %}{% endif %}{% if 'd' in globals %}{% endif %}{{ globals.e | d }}",
      ),
    ).toEqual([
      '1:4 a guarded',
      '1:37 b guarded',
      '1:77 c guarded',
      '1:126 d guarded',
      '1:150 e guarded',
    ]);
  });

  it('a condition or loop over an undefined global is not guarded (Jinja raises there)', () => {
    expect(reads('{% if globals.a %}{% endif %}{% for x in globals.b %}{% endfor %}')).toEqual([
      '1:7 a',
      '1:42 b',
    ]);
  });

  it('every read of an expression is guarded, positioned in the expression text', () => {
    expect(reads('globals.mode == "deep" and outputs.x', { expression: true })).toEqual([
      '1:1 mode guarded',
    ]);
    expect(reads('{{ globals.mode }}', { expression: true })).toEqual(['1:4 mode guarded']);
  });

  it('undefined when the template does not parse', () => {
    expect(reads('{{ globals.a')).toBeUndefined();
  });
});
