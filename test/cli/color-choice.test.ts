import { describe, expect, it } from 'vitest';
import { colorEnabled, colorFlagOf } from '../../src/cli/color-choice.js';

describe('colorEnabled', () => {
  const decide = (
    environment: Record<string, string>,
    stdoutIsTty: boolean,
    flag?: boolean,
  ): boolean => colorEnabled({ flag, environment, stdoutIsTty });

  it('follows the terminal when nothing is set', () => {
    expect(decide({}, true)).toBe(true);
    expect(decide({}, false)).toBe(false);
  });

  it('NO_COLOR set and not empty turns colour off; empty is ignored (no-color.org)', () => {
    expect(decide({ NO_COLOR: '1' }, true)).toBe(false);
    expect(decide({ NO_COLOR: '' }, true)).toBe(true);
  });

  it('FORCE_COLOR turns colour on off a terminal, except 0 and false', () => {
    expect(decide({ FORCE_COLOR: '1' }, false)).toBe(true);
    expect(decide({ FORCE_COLOR: '3' }, false)).toBe(true);
    expect(decide({ FORCE_COLOR: '0' }, true)).toBe(false);
    expect(decide({ FORCE_COLOR: 'false' }, true)).toBe(false);
    expect(decide({ FORCE_COLOR: '' }, false)).toBe(false);
  });

  it('NO_COLOR wins over FORCE_COLOR, and the flag over both', () => {
    expect(decide({ NO_COLOR: '1', FORCE_COLOR: '1' }, true)).toBe(false);
    expect(decide({ NO_COLOR: '1' }, false, true)).toBe(true);
    expect(decide({ FORCE_COLOR: '1' }, true, false)).toBe(false);
  });
});

describe('colorFlagOf', () => {
  it('reads the last --color/--no-color before --', () => {
    expect(colorFlagOf(['run', 'x'])).toBeUndefined();
    expect(colorFlagOf(['--no-color', 'run', 'x'])).toBe(false);
    expect(colorFlagOf(['run', 'x', '--no-color', '--color'])).toBe(true);
    expect(colorFlagOf(['ask', 'p', '--', '--no-color'])).toBeUndefined();
  });
});
