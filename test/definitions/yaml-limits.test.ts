import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseYaml, type ParseResult } from '../../src/definitions/parse-yaml.js';

/**
 * YAML that no taskflow needs but a hostile or broken file can hold (issue 10, defect 5):
 * every case is a positioned issue, never an exception, and ordinary files are unaffected.
 * The corpus in test/fixtures/definitions/invalid covers the same through the CLI.
 */

const HEADER = 'seclab-taskflow-agent:\n  version: "1.0"\n  filetype: taskflow\n';

function issuesOf(result: ParseResult): { line: number; column: number; message: string }[] {
  if (result.ok) throw new Error('expected the file to be refused');
  return result.issues.map(({ line, column, message }) => ({ line, column, message }));
}

function valueOf(result: ParseResult): Record<string, unknown> {
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.issues)}`);
  return result.parsed.value as Record<string, unknown>;
}

describe('nesting', () => {
  it('refuses a compact sequence nested thousands of levels deep (the parser recurses)', () => {
    const source = `${HEADER}globals:\n  a:\n    ${'- '.repeat(20_000)}x\n`;
    const issues = issuesOf(parseYaml(source, 'deep.yaml'));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.message).toMatch(/^YAML is nested more than 100 levels deep/);
    expect(issues[0]?.line).toBe(6);
  });

  it('refuses flow collections nested thousands of levels deep', () => {
    const source = `${HEADER}globals:\n  a: ${'{b: '.repeat(20_000)}1${'}'.repeat(20_000)}\n`;
    const issues = issuesOf(parseYaml(source, 'deep.yaml'));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.message).toMatch(/^YAML is nested more than 100 levels deep/);
    expect(issues[0]?.line).toBe(5);
  });

  it('counts the depth an alias adds where it is used', () => {
    const nested = (levels: number, inner: string) =>
      `${'['.repeat(levels)}${inner}${']'.repeat(levels)}`;
    const source = `${HEADER}globals:\n  a: &a ${nested(60, '1')}\n  b: ${nested(60, '*a')}\n`;
    const issues = issuesOf(parseYaml(source, 'deep.yaml'));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ line: 6, column: 66 });
    expect(issues[0]?.message).toMatch(/nested more than 100 levels/);
  });

  it('accepts 90 levels', () => {
    const source = `${HEADER}globals:\n  a: ${'['.repeat(90)}1${']'.repeat(90)}\n`;
    expect(valueOf(parseYaml(source, 'ok.yaml')).globals).toBeDefined();
  });
});

describe('anchors and aliases', () => {
  it('accepts an anchor holding an alias merged into thousands of tasks', () => {
    const tasks = Array.from(
      { length: 3000 },
      (_, index) => `  - task:\n      <<: *d\n      name: t${index}\n`,
    );
    const source = `${HEADER}agents: &agents [personalities.helper]\ndefaults: &d\n  agents: *agents\n  user_prompt: hi\ntaskflow:\n${tasks.join('')}`;
    const value = valueOf(parseYaml(source, 'many.yaml'));
    const taskflow = value.taskflow as { task: Record<string, unknown> }[];
    expect(taskflow).toHaveLength(3000);
    expect(taskflow[2999]?.task).toEqual({
      agents: ['personalities.helper'],
      user_prompt: 'hi',
      name: 't2999',
    });
  });

  it('refuses an indirect cycle', () => {
    const source = `${HEADER}globals:\n  outer: &o\n    inner:\n      list: [*o]\n`;
    const issues = issuesOf(parseYaml(source, 'cycle.yaml'));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ line: 7, column: 14 });
    expect(issues[0]?.message).toContain(
      'YAML alias "*o" refers to the anchor "&o" that contains it',
    );
  });

  it('uses the anchor defined last before the alias, as YAML says', () => {
    const source = `${HEADER}globals:\n  a: &x 1\n  b: *x\n  c: &x 2\n  d: *x\n`;
    expect(valueOf(parseYaml(source, 'redefined.yaml')).globals).toEqual({
      a: 1,
      b: 1,
      c: 2,
      d: 2,
    });
  });
});

describe('double-quoted scalars', () => {
  // Long double-quoted values are decoded without the YAML library's character-by-character
  // concatenation; the result must be what the library decodes.
  const samples = [
    String.raw`"plain text"`,
    String.raw`"quote \" backslash \\ slash \/ tab \t newline \n"`,
    String.raw`"unicode \u00e9 \u263A pair \ud83d\ude00 and \U0001F600"`,
    String.raw`"yaml escapes \0 \a \v \e \N \_ \L \P \x41 \ space"`,
    '"a raw\ttab"',
    '"trailing spaces   "',
    '"folded\n    over lines\n\n    with a blank one"',
    `"${'long '.repeat(5000)}"`,
    `"${'escaped \\"quote\\" '.repeat(3000)}"`,
  ];

  it.each(samples.map((sample, index) => [index, sample] as const))(
    'sample %i',
    (_index, sample) => {
      const asKey = sample.length < 1000 && !sample.includes('\n') ? `  key: {${sample}: 1}\n` : '';
      const source = `${HEADER}globals:\n  value: ${sample}\n${asKey}`;
      const expected = parse(source) as { globals: Record<string, unknown> };
      const value = valueOf(parseYaml(source, 'quoted.yaml'));
      expect(value.globals).toEqual(expected.globals);
    },
  );

  it('reads the keys after a long double-quoted value', () => {
    const long = `"${'x'.repeat(100_000)}\\u00e9"`;
    const source = `${HEADER}globals:\n  big: ${long}\n  after: 1\ntaskflow: []\n`;
    const value = valueOf(parseYaml(source, 'big.yaml'));
    expect(value.globals).toEqual({ big: `${'x'.repeat(100_000)}é`, after: 1 });
    expect(value.taskflow).toEqual([]);
  });

  it('keeps positions after a long double-quoted value', () => {
    const long = `"${'x'.repeat(100_000)}"`;
    const source = `${HEADER}globals:\n  big: ${long}\n  after: !!binary aGk=\n`;
    const issues = issuesOf(parseYaml(source, 'big.yaml'));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ line: 6, column: 10 });
    expect(issues[0]?.message).toContain('YAML tag !!binary');
  });
});
