import { describe, expect, it } from 'vitest';
import { rewriteCompatArgv } from '../../src/cli/compat-argv.js';
import { TaskflowError } from '../../src/errors.js';

function usageError(argv: string[]): TaskflowError {
  try {
    rewriteCompatArgv(argv);
  } catch (error) {
    if (error instanceof TaskflowError) return error;
    throw error;
  }
  throw new Error(`no error for ${JSON.stringify(argv)}`);
}

describe('rewriteCompatArgv', () => {
  it('leaves argv without compatibility flags unchanged (as a copy)', () => {
    const argv = ['validate', '--strict', 'a.b.c'];
    const rewritten = rewriteCompatArgv(argv);
    expect(rewritten).toEqual(['validate', '--strict', 'a.b.c']);
    expect(rewritten).not.toBe(argv);
    expect(rewriteCompatArgv([])).toEqual([]);
  });

  it('rewrites -t / --taskflow to run', () => {
    expect(rewriteCompatArgv(['-t', 'examples.taskflows.echo'])).toEqual([
      'run',
      'examples.taskflows.echo',
    ]);
    expect(rewriteCompatArgv(['--taskflow', 'flow.yaml'])).toEqual(['run', 'flow.yaml']);
    expect(rewriteCompatArgv(['--taskflow=flows.x'])).toEqual(['run', 'flows.x']);
    expect(rewriteCompatArgv(['-t=flows.x'])).toEqual(['run', 'flows.x']);
  });

  it('rewrites -p with the prompt words that follow', () => {
    expect(rewriteCompatArgv(['-p', 'personalities.assistant', 'explain', 'this', 'code'])).toEqual(
      ['ask', 'personalities.assistant', 'explain', 'this', 'code'],
    );
    expect(rewriteCompatArgv(['--personality=p.x', 'hello there'])).toEqual([
      'ask',
      'p.x',
      'hello there',
    ]);
  });

  it('keeps prompt words that happen to be command names', () => {
    expect(rewriteCompatArgv(['-p', 'p.assistant', 'list', 'the', 'files'])).toEqual([
      'ask',
      'p.assistant',
      'list',
      'the',
      'files',
    ]);
    expect(rewriteCompatArgv(['-p', 'p.assistant', 'run', 'the', 'tests'])).toEqual([
      'ask',
      'p.assistant',
      'run',
      'the',
      'tests',
    ]);
  });

  it('rewrites --resume and -l / --list-models', () => {
    expect(rewriteCompatArgv(['--resume', '2024-abc'])).toEqual(['resume', '2024-abc']);
    expect(rewriteCompatArgv(['--resume=2024-abc'])).toEqual(['resume', '2024-abc']);
    expect(rewriteCompatArgv(['-l'])).toEqual(['models']);
    expect(rewriteCompatArgv(['--list-models'])).toEqual(['models']);
  });

  it('keeps every other flag, in its order, after the command', () => {
    expect(
      rewriteCompatArgv([
        '-d',
        '-g',
        'fruit=apple',
        '-t',
        'flows.x',
        '-m',
        'configs.m',
        '-g',
        'x=1',
      ]),
    ).toEqual(['run', 'flows.x', '-d', '-g', 'fruit=apple', '-m', 'configs.m', '-g', 'x=1']);
    expect(rewriteCompatArgv(['--debug', '-l', '--output', 'jsonl'])).toEqual([
      'models',
      '--debug',
      '--output',
      'jsonl',
    ]);
  });

  it('stops looking for flags after --', () => {
    expect(rewriteCompatArgv(['run', 'flows.x', '--', '-t', 'y'])).toEqual([
      'run',
      'flows.x',
      '--',
      '-t',
      'y',
    ]);
    expect(rewriteCompatArgv(['-p', 'p.x', '--', '-t', 'is', 'text'])).toEqual([
      'ask',
      'p.x',
      '--',
      '-t',
      'is',
      'text',
    ]);
  });

  it.each([
    [['-t', 'a', '-p', 'b', 'hi'], /-t and -p cannot be combined/],
    [['-t', 'a', '--resume', 'id'], /-t and --resume cannot be combined/],
    [['-l', '-p', 'b', 'hi'], /-l and -p cannot be combined/],
    [['-t', 'a', '-t', 'b'], /-t and -t cannot be combined/],
    [['run', 'flows.x', '-t', 'flows.y'], /-t cannot be combined with the "run" command/],
    [['validate', '-l'], /-l cannot be combined with the "validate" command/],
  ])('refuses the combination %j', (argv, message) => {
    const error = usageError(argv);
    expect(error.code).toBe('usage');
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('\n');
  });

  it.each([[['-t']], [['-p']], [['--resume']], [['-t', '-d']], [['-p', '--debug', 'hi']]])(
    'refuses %j without a value',
    (argv) => {
      const error = usageError(argv);
      expect(error.code).toBe('usage');
      expect(error.message).toMatch(/^option (-t|-p|--resume) needs a value$/);
    },
  );
});
