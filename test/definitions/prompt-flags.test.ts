import { describe, expect, it } from 'vitest';
import { readPromptFlags } from '../../src/definitions/prompt-flags.js';

/**
 * readPromptFlags against seclab's prompt parser (prompt_parser.py:31-52). Each expected
 * value is what that parser's argparse set-up returned for the same text under Python 3.11,
 * 3.12 and 3.13 (identical), as `p`, `t`, `l`, the `-g` values, the prompt (`" ".join` of
 * the rest) and the words set aside; `null` = argparse exited with 2. The first cases are
 * tests/test_prompt_parser_edge.py's.
 */

interface Parsed {
  p: string | null;
  t: string | null;
  l: boolean;
  globals: string[];
  prompt: string;
  unknown: string[];
}

const SECLAB: [string, Parsed | null][] = [
  [
    '-p my.personality hello world',
    { p: 'my.personality', t: null, l: false, globals: [], prompt: 'hello world', unknown: [] },
  ],
  [
    '-p my.personality tell me a joke',
    { p: 'my.personality', t: null, l: false, globals: [], prompt: 'tell me a joke', unknown: [] },
  ],
  [
    '-p my.personality -g fruit=apple hello',
    {
      p: 'my.personality',
      t: null,
      l: false,
      globals: ['fruit=apple'],
      prompt: 'hello',
      unknown: [],
    },
  ],
  [
    '-p my.personality -g fruit=apple -g color=red',
    {
      p: 'my.personality',
      t: null,
      l: false,
      globals: ['fruit=apple', 'color=red'],
      prompt: '',
      unknown: [],
    },
  ],
  [
    '-p my.personality -g url=https://x.com?a=1',
    {
      p: 'my.personality',
      t: null,
      l: false,
      globals: ['url=https://x.com?a=1'],
      prompt: '',
      unknown: [],
    },
  ],
  [
    '-t my.taskflow do stuff',
    { p: null, t: 'my.taskflow', l: false, globals: [], prompt: 'do stuff', unknown: [] },
  ],
  ['-l', { p: null, t: null, l: true, globals: [], prompt: '', unknown: [] }],
  ['-p foo -t bar', null],
  [
    '-p x -g a=b hello',
    { p: 'x', t: null, l: false, globals: ['a=b'], prompt: 'hello', unknown: [] },
  ],
  ['-x -p y hello', { p: 'y', t: null, l: false, globals: [], prompt: 'hello', unknown: ['-x'] }],
  ['-p x -- hello', { p: 'x', t: null, l: false, globals: [], prompt: '-- hello', unknown: [] }],
  ['-p=x hi', { p: 'x', t: null, l: false, globals: [], prompt: 'hi', unknown: [] }],
  ['-px hi', { p: 'x', t: null, l: false, globals: [], prompt: 'hi', unknown: [] }],
  [
    '--global=a=b -p x hi',
    { p: 'x', t: null, l: false, globals: ['a=b'], prompt: 'hi', unknown: [] },
  ],
  [
    '--glob a=b -p x hi',
    { p: 'x', t: null, l: false, globals: ['a=b'], prompt: 'hi', unknown: [] },
  ],
  [
    '-p x  hello  world',
    { p: 'x', t: null, l: false, globals: [], prompt: ' hello  world', unknown: [] },
  ],
  ['-p  x hello', { p: '', t: null, l: false, globals: [], prompt: 'x hello', unknown: [] }],
  ['-p x -1 hi', { p: 'x', t: null, l: false, globals: [], prompt: '-1 hi', unknown: [] }],
  ['-1 -p x', { p: null, t: null, l: false, globals: [], prompt: '-1 -p x', unknown: [] }],
  ['-p x -g bad hi', { p: 'x', t: null, l: false, globals: ['bad'], prompt: 'hi', unknown: [] }],
  ['-p x -p y hi', { p: 'y', t: null, l: false, globals: [], prompt: 'hi', unknown: [] }],
  ['-p x', { p: 'x', t: null, l: false, globals: [], prompt: '', unknown: [] }],
  ['-p', null],
  [
    '-p x\nhello world',
    { p: 'x\nhello', t: null, l: false, globals: [], prompt: 'world', unknown: [] },
  ],
  ['-p x -z hi', { p: 'x', t: null, l: false, globals: [], prompt: 'hi', unknown: ['-z'] }],
  ['-p -x hi', null],
  ['-p x -l hi', null],
  ['-p x - hi', { p: 'x', t: null, l: false, globals: [], prompt: '- hi', unknown: [] }],
  [
    '-p x hello -g a=b',
    { p: 'x', t: null, l: false, globals: [], prompt: 'hello -g a=b', unknown: [] },
  ],
  ['--g a=b -p x hi', { p: 'x', t: null, l: false, globals: ['a=b'], prompt: 'hi', unknown: [] }],
  ['--p x hi', { p: null, t: null, l: false, globals: [], prompt: 'x hi', unknown: ['--p'] }],
  ['-p x -g=k=v hi', { p: 'x', t: null, l: false, globals: ['k=v'], prompt: 'hi', unknown: [] }],
  ['-p -- x hi', null],
  ['-p x -gk=v hi', { p: 'x', t: null, l: false, globals: ['k=v'], prompt: 'hi', unknown: [] }],
  ['-pfoo -gbar hi', { p: 'foo', t: null, l: false, globals: ['bar'], prompt: 'hi', unknown: [] }],
  ['--global -p x', null],
  [
    '-p x --globalx a hi',
    { p: 'x', t: null, l: false, globals: [], prompt: 'a hi', unknown: ['--globalx'] },
  ],
  ['-p -1 hi', { p: '-1', t: null, l: false, globals: [], prompt: 'hi', unknown: [] }],
  ['-p x -g', null],
  [
    '-p x -- -g a=b hi',
    { p: 'x', t: null, l: false, globals: [], prompt: '-- -g a=b hi', unknown: [] },
  ],
  ['-p=', { p: '', t: null, l: false, globals: [], prompt: '', unknown: [] }],
  ['-p x\t hi', { p: 'x\t', t: null, l: false, globals: [], prompt: 'hi', unknown: [] }],
];

/** The reading as argparse's namespace; -p, -t and -l exclude each other (an exit with 2). */
function asArgparse(text: string): Parsed | null {
  const read = readPromptFlags(text);
  if (read.missingValue) return null;
  const parsed: Parsed = {
    p: null,
    t: null,
    l: false,
    globals: [],
    prompt: text.slice(read.restOffset),
    unknown: read.unknown.map((word) => word.text),
  };
  const group = new Set<string>();
  for (const flag of read.flags) {
    const name = flag.rule.flags[0] as string;
    if (name === '-g') parsed.globals.push(flag.value?.text ?? '');
    else group.add(name);
    if (name === '-p') parsed.p = flag.value?.text ?? null;
    if (name === '-t') parsed.t = flag.value?.text ?? null;
    if (name === '-l') parsed.l = true;
  }
  return group.size > 1 ? null : parsed;
}

describe("readPromptFlags reads what seclab's argparse reads", () => {
  it.each(SECLAB)('%j', (text, expected) => {
    expect(asArgparse(text)).toEqual(expected);
  });

  it('gives the offsets of the words', () => {
    const read = readPromptFlags('-p my.p -gk=v rest of it');
    expect(read.flags.map((flag) => [flag.word.offset, flag.value?.offset])).toEqual([
      [0, 3],
      [8, 10],
    ]);
    expect(read.restOffset).toBe(14);
  });
});
