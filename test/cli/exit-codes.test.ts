import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeFor, exitCodeForInterrupt } from '../../src/cli/exit-codes.js';
import type { ErrorCode } from '../../src/errors.js';

/** cli.md "Exit codes"; a Record so a new error code fails to compile until it is listed. */
const EXPECTED: Record<ErrorCode, number> = {
  usage: 2,
  'definition-invalid': 2,
  'reference-unresolved': 2,
  template: 2,
  config: 78,
  auth: 78,
  'session-changed': 78,
  quota: 69,
  stopped: 75,
  cancelled: 130,
  'toolbox-start': 1,
  'toolbox-closed': 1,
  'tool-timeout': 1,
  model: 1,
  'model-behavior': 1,
  'max-steps': 1,
  'task-failed': 1,
  'shell-failed': 1,
  'output-invalid': 1,
  'iterable-invalid': 1,
  session: 1,
  'session-locked': 1,
  io: 1,
  internal: 1,
};

describe('exit codes', () => {
  it('names the codes of cli.md', () => {
    expect(EXIT).toEqual({
      ok: 0,
      failed: 1,
      usage: 2,
      quota: 69,
      stopped: 75,
      config: 78,
      interrupted: 130,
      brokenPipe: 141,
    });
  });

  it('exits 141 when stdout closed, 130 for the signals a person sends', () => {
    expect(exitCodeForInterrupt('SIGPIPE')).toBe(141);
    expect(exitCodeForInterrupt('SIGINT')).toBe(130);
    expect(exitCodeForInterrupt('SIGTERM')).toBe(130);
  });

  it.each(Object.entries(EXPECTED))('maps %s to %i', (code, exitCode) => {
    expect(exitCodeFor(code as ErrorCode)).toBe(exitCode);
  });

  it('refuses an unknown code instead of guessing', () => {
    expect(() => exitCodeFor('nonsense' as ErrorCode)).toThrow(/unexpected error code/);
  });
});
