import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  differingFiles,
  parseFanOutContext,
  portableFiles,
  portablePath,
} from '../../src/queue/fan-out-context.js';

describe('fan-out context', () => {
  it('paths inside the working directory compare across machines; others stay absolute', () => {
    const here = path.join(path.sep, 'srv', 'a', 'flows');
    const there = path.join(path.sep, 'home', 'ci', 'flows');
    expect(portablePath(path.join(here, 'personalities', 'x.yaml'), here)).toBe(
      'personalities/x.yaml',
    );
    expect(portablePath(path.join(there, 'personalities', 'x.yaml'), there)).toBe(
      'personalities/x.yaml',
    );
    const outside = path.join(path.sep, 'usr', 'lib', 'pack', 'p.yaml');
    expect(portablePath(outside, here)).toBe(outside);
    expect(portableFiles(new Map([[path.join(here, 'flow.yaml'), 'h1']]), here)).toEqual({
      'flow.yaml': 'h1',
    });
  });

  it('names every file that differs, and how', () => {
    expect(
      differingFiles(
        { 'a.yaml': '1', 'b.yaml': '2', 'c.yaml': '3' },
        { 'a.yaml': '1', 'b.yaml': 'X', 'd.yaml': '4' },
      ),
    ).toEqual(['b.yaml (modified)', 'c.yaml (missing)', 'd.yaml (not in the run)']);
    expect(differingFiles({ 'a.yaml': '1' }, { 'a.yaml': '1' })).toEqual([]);
  });

  it('a damaged context is a session error naming it', () => {
    expect(() => parseFanOutContext('{"version":2}', 'session s task 2')).toThrow(
      /^the queued context of session s task 2 is damaged: /,
    );
  });
});
