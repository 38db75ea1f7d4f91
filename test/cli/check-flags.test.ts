import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkRunningFlags } from '../../src/cli/check-flags.js';
import { checkSessionRoot } from '../../src/cli/session-root.js';
import type { RuntimeContext } from '../../src/cli/runtime-context.js';

const created: string[] = [];
afterEach(() => {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function context(environment: Record<string, string> = {}): RuntimeContext {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-flags-'));
  created.push(dir);
  return {
    workingDirectory: dir,
    environment,
    bundleRoot: dir,
    stdout: process.stdout,
    stderr: process.stderr,
    debug: false,
  };
}

const CASSETTE_LINE = JSON.stringify({ version: 1, key: 'k', request: {}, response: {} });

describe('checkRunningFlags', () => {
  it('returns cassette paths made absolute against the working directory', () => {
    const run = context();
    fs.writeFileSync(path.join(run.workingDirectory, 'c.jsonl'), `${CASSETTE_LINE}\n`);
    expect(checkRunningFlags(run, { replay: 'c.jsonl' }, { sessions: false })).toEqual({
      replay: path.join(run.workingDirectory, 'c.jsonl'),
    });
    expect(checkRunningFlags(run, { record: 'new.jsonl' }, { sessions: false })).toEqual({
      record: path.join(run.workingDirectory, 'new.jsonl'),
    });
  });

  it('names a cassette of another version', () => {
    const run = context();
    const line = JSON.stringify({ version: 2, key: 'k', request: {}, response: {} });
    fs.writeFileSync(path.join(run.workingDirectory, 'c.jsonl'), `${line}\n`);
    expect(() => checkRunningFlags(run, { replay: 'c.jsonl' }, { sessions: false })).toThrow(
      /c\.jsonl: unsupported cassette version 2 \(expected 1\)/,
    );
  });

  it('reads only the first line of a large cassette', () => {
    const run = context();
    const file = path.join(run.workingDirectory, 'big.jsonl');
    fs.writeFileSync(file, `${CASSETTE_LINE}\n${'x'.repeat(300_000)}\n`);
    expect(checkRunningFlags(run, { replay: file }, { sessions: false }).replay).toBe(file);
  });
});

describe('checkSessionRoot', () => {
  it('accepts a folder that can be created below existing ones', () => {
    const run = context();
    const root = path.join(run.workingDirectory, 'a', 'b', 'sessions');
    expect(checkSessionRoot(run, root, { write: true })).toBe(root);
    expect(fs.existsSync(root)).toBe(false);
  });

  it('is a usage error for the flag and a configuration error for the environment', () => {
    const file = path.join(context().workingDirectory, 'file');
    fs.writeFileSync(file, '');
    expect(() => checkSessionRoot(context(), file, { write: false })).toThrow(
      expect.objectContaining({ code: 'usage' }) as Error,
    );
    const fromEnvironment = context({ TASKFLOW_SESSION_DIR: file });
    expect(() => checkSessionRoot(fromEnvironment, undefined, { write: false })).toThrow(
      expect.objectContaining({ code: 'config' }) as Error,
    );
  });
});
