import type { Environment } from './environment.js';

export interface ColorFacts {
  /** `--color` (true) / `--no-color` (false) on the command line; undefined when neither. */
  readonly flag: boolean | undefined;
  readonly environment: Environment;
  /** Whether stdout is a terminal. */
  readonly stdoutIsTty: boolean;
}

/** `FORCE_COLOR` values that mean "off" (as supports-color and Node read them). */
const FORCE_OFF = new Set(['0', 'false']);

/**
 * Whether output may carry ANSI colours. The first that applies decides:
 * the `--color`/`--no-color` flag; `NO_COLOR` set and not empty (no-color.org) turns colour
 * off; `FORCE_COLOR` set and not empty turns it on (`0` or `false`: off), even off a
 * terminal; else colour exactly when stdout is a terminal. NO_COLOR wins over FORCE_COLOR
 * because it is the user's own preference, while FORCE_COLOR is often set by the tool
 * that started us (test runners, CI wrappers).
 */
export function colorEnabled(facts: ColorFacts): boolean {
  if (facts.flag !== undefined) return facts.flag;
  if ((facts.environment.NO_COLOR ?? '') !== '') return false;
  const force = facts.environment.FORCE_COLOR?.trim().toLowerCase() ?? '';
  if (force !== '') return !FORCE_OFF.has(force);
  return facts.stdoutIsTty;
}

/**
 * `--color` / `--no-color` as written in `argv` (the last one wins), read before commander
 * parses so the choice is known wherever output is made. Words after `--` are prompt text.
 */
export function colorFlagOf(argv: readonly string[]): boolean | undefined {
  let flag: boolean | undefined;
  for (const argument of argv) {
    if (argument === '--') break;
    if (argument === '--color') flag = true;
    else if (argument === '--no-color') flag = false;
  }
  return flag;
}
