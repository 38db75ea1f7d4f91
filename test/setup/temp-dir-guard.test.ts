import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeRunDirectory } from './temp-dir-guard.js';

describe('the temp dir guard of the test run', () => {
  it('runs the tests with TMPDIR in a folder of this run', () => {
    expect(path.basename(os.tmpdir())).toMatch(/^taskflow-test-run-/);
  });

  it('names what was left behind and removes it', () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'guard-'));
    fs.writeFileSync(path.join(directory, 'left.txt'), 'x');
    fs.mkdirSync(path.join(directory, 'taskflow-e2e-abc', 'sessions'), { recursive: true });
    expect(removeRunDirectory(directory)).toBe(
      'the tests left 2 entries in the temp dir: left.txt, taskflow-e2e-abc ' +
        '(remove what a test creates in afterEach/afterAll)',
    );
    expect(fs.existsSync(directory)).toBe(false);
  });

  it('lists at most 20 names', () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'guard-'));
    for (let index = 10; index < 35; index++)
      fs.writeFileSync(path.join(directory, `f${index}`), '');
    expect(removeRunDirectory(directory)).toMatch(/left 25 entries .* f29 and 5 more \(/);
  });

  it('says nothing for an empty or missing folder', () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'guard-'));
    expect(removeRunDirectory(directory)).toBeUndefined();
    expect(fs.existsSync(directory)).toBe(false);
    expect(removeRunDirectory(directory)).toBeUndefined();
  });
});
