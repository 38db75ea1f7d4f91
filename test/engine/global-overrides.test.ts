import { afterAll, describe, expect, it } from 'vitest';
import { applyGlobalOverrides, parseGlobalFlags } from '../../src/cli/parse-globals.js';
import { TaskflowError } from '../../src/errors.js';
import {
  header,
  load,
  runLoaded,
  removeScratchFolders,
  scratchFolder,
  taskStatuses,
} from './engine-kit.js';

/** `-g KEY=VALUE` (src/cli/parse-globals.ts) and what the engine then sees as `globals`. */

afterAll(removeScratchFolders);

describe('parseGlobalFlags', () => {
  it('splits at the first "=" and keeps the rest, "=" and empty values included', () => {
    expect(parseGlobalFlags(['a=1', 'query=x=y', 'empty='])).toEqual({
      a: '1',
      query: 'x=y',
      empty: '',
    });
  });

  // seclab's _parse_global strips key and value and allows an empty key
  // (test/compat/cli-forms.test.ts ports its cases).
  it('strips spaces around key and value; an empty key is a key', () => {
    expect(parseGlobalFlags(['  key  =  value  ', '=value'])).toEqual({
      key: 'value',
      '': 'value',
    });
  });

  it.each(['no-equals'])('rejects %j as a usage error', (flag) => {
    let thrown: unknown;
    try {
      parseGlobalFlags([flag]);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TaskflowError);
    expect(thrown).toMatchObject({ code: 'usage' });
  });
});

describe('applyGlobalOverrides', () => {
  const declared = { count: 3, verbose: false, name: 'x', ratio: 0.5 };

  it('converts to the declared number/boolean type; anything else stays a string', () => {
    expect(
      applyGlobalOverrides(declared, {
        count: '5',
        ratio: '-1.25',
        verbose: 'TRUE',
        name: '42',
        extra: 'true',
      }),
    ).toEqual({ count: 5, ratio: -1.25, verbose: true, name: '42', extra: 'true' });
  });

  it('keeps the declared values that are not overridden, and does not modify them', () => {
    const result = applyGlobalOverrides(declared, { name: 'y' });
    expect(result).toEqual({ ...declared, name: 'y' });
    expect(declared.name).toBe('x');
  });

  it.each([
    ['count', 'many', /declares a number, got "many"/],
    ['count', '', /declares a number/],
    ['verbose', 'yes', /declares true\/false, got "yes"/],
  ])('rejects -g %s=%j for the declared type', (key, value, message) => {
    expect(() => applyGlobalOverrides(declared, { [key]: value })).toThrow(message);
  });
});

describe('overridden globals in a run', () => {
  it('reach `if`, `env` templates and the shell with their types', async () => {
    const folder = scratchFolder({
      'flow.yaml': `${header('taskflow')}
globals: { count: 3, verbose: false, name: plain }
taskflow:
  - task:
      name: only-when-verbose
      if: globals.verbose
      env:
        NEXT: "{{ globals.count + 1 }}"
        SUFFIXED: "{{ globals.name + 1 }}"
      run: |
        printf '%s %s' "$NEXT" "$SUFFIXED"
`,
    });
    const loaded = load(folder, 'flow.yaml');
    const run = (flags: string[]) =>
      runLoaded(loaded, folder, {
        endpoint: 'http://127.0.0.1:9/v1',
        globals: applyGlobalOverrides(loaded.taskflow.globals, parseGlobalFlags(flags)),
      });

    const declaredOnly = await run([]);
    expect(taskStatuses(declaredOnly.events)).toEqual(['skipped']);

    const overridden = await run(['verbose=true', 'count=41', 'name=42']);
    expect(taskStatuses(overridden.events)).toEqual(['succeeded']);
    // count is a number (41 + 1), name a string ("42" + 1).
    expect(overridden.result.outcomes[0]?.result?.value).toBe('42 421');
  });
});
