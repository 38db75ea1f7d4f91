import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RotatingLogFile } from '../src/rotating-log-file.js';

let directory: string;

beforeEach(() => {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-rotating-'));
});
afterEach(() => {
  fs.rmSync(directory, { recursive: true, force: true });
});

describe('RotatingLogFile', () => {
  it('rotates correctly when several rotations happen before any stream has opened', async () => {
    const file = RotatingLogFile.open(directory, 'taskflow.log', {
      maxBytes: 100,
      keepFiles: 3,
      maxPendingBytes: 1_000_000,
    });
    expect(file).toBeDefined();
    // One synchronous burst: every rotation happens before the event loop runs once.
    for (let index = 0; index < 12; index += 1) {
      file?.write(`line ${String(index).padStart(2, '0')} ${'x'.repeat(30)}\n`);
    }
    await file?.close(5000);
    const names = fs.readdirSync(directory).sort();
    expect(names).toEqual(['taskflow.log', 'taskflow.log.1', 'taskflow.log.2']);
    const text = (name: string) => fs.readFileSync(path.join(directory, name), 'utf8');
    for (const name of names) expect(Buffer.byteLength(text(name))).toBeLessThanOrEqual(100);
    expect(text('taskflow.log')).toMatch(/line 11 x+\n$/);
    expect(text('taskflow.log.2')).toMatch(/^line 06 /);
  });
});
