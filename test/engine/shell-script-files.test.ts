import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runShellTask } from '../../src/engine/run-shell-task.js';
import {
  forgetScriptFile,
  removeLeftoverScriptFiles,
  trackedScriptFiles,
  trackScriptFile,
} from '../../src/engine/shell-script-files.js';

let scratch: string;
beforeEach(() => {
  scratch = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'shell-scripts-test-')));
});
afterEach(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe('shell task script files', () => {
  it('are tracked while the task runs and removed (and forgotten) when it ends', async () => {
    const during: string[][] = [];
    const result = await runShellTask({
      script: 'echo "$0"\necho running >&2\nsleep 0.2\n',
      environment: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      workingDirectory: scratch,
      tempDirectory: scratch,
      onStderrLine: () => during.push(trackedScriptFiles()),
    });
    const scriptPath = result.stdout.trim();
    expect(path.dirname(scriptPath)).toBe(scratch);
    expect(during).toEqual([[scriptPath]]);
    expect(trackedScriptFiles()).toEqual([]);
    expect(fs.existsSync(scriptPath)).toBe(false);
  });

  it('left behind by a runner that exits first are removed by removeLeftoverScriptFiles', () => {
    const left = path.join(scratch, 'taskflow-shell-left.sh');
    const done = path.join(scratch, 'taskflow-shell-done.sh');
    fs.writeFileSync(left, 'sleep 10\n');
    fs.writeFileSync(done, 'true\n');
    trackScriptFile(left);
    trackScriptFile(done);
    forgetScriptFile(done);
    removeLeftoverScriptFiles();
    expect(fs.existsSync(left)).toBe(false);
    expect(fs.existsSync(done)).toBe(true);
    expect(trackedScriptFiles()).toEqual([]);
    // A second call, or a file already gone, is harmless.
    trackScriptFile(left);
    expect(() => removeLeftoverScriptFiles()).not.toThrow();
  });
});
