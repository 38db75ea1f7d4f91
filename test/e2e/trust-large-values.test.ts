import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSandbox, runCli } from './cli-harness.js';

/**
 * Issue 10 defect 7: a large value is stored once in a session — a large global in the
 * journal's session-start record only (manifest.json is rewritten at every step and must
 * not carry it), a large shell output once in its result file (not as both its value and
 * its text). Memory is measured in bench/large-values.mjs, not here.
 */

const GLOBAL_MARK = 'GLOBAL-MARK-';
const OUTPUT_MARK = 'OUTPUT-MARK-';
const GLOBAL_BYTES = 1024 * 1024;

let sandbox: string;
let project: string;
let sessions: string;

beforeEach(() => {
  sandbox = makeSandbox();
  project = path.join(sandbox, 'project');
  sessions = path.join(sandbox, 'sessions');
  fs.mkdirSync(project, { recursive: true });
  const big = `${GLOBAL_MARK}${'g'.repeat(GLOBAL_BYTES)}`;
  fs.writeFileSync(
    path.join(project, 'flow.yaml'),
    `seclab-taskflow-agent:
  version: "1.0"
  filetype: taskflow

globals:
  big: "${big}"
  plain: ${big.replace(GLOBAL_MARK, 'PLAIN-')}
taskflow:
  - task:
      name: print a lot
      run: |
        printf '${OUTPUT_MARK}'
        head -c 300000 /dev/zero | tr '\\0' y
  - task:
      name: use the global after a resume
      env:
        BIG_LENGTH: "{{ globals.big | length }}"
      run: |
        test -e "${path.join(sandbox, 'go')}" || exit 3
        echo "length $BIG_LENGTH"
`,
  );
});

afterEach(() => {
  fs.rmSync(sandbox, { recursive: true, force: true });
});

/** Occurrences of `mark` in every file under `folder`, by relative path (zeros left out). */
function occurrences(folder: string, mark: string): Record<string, number> {
  const found: Record<string, number> = {};
  for (const entry of fs.readdirSync(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const count = fs.readFileSync(file, 'latin1').split(mark).length - 1;
    if (count > 0) found[path.relative(folder, file)] = count;
  }
  return found;
}

describe('a session stores a large value once', () => {
  it('keeps a large global in the journal only, and a large output once, across a resume', async () => {
    const first = await runCli(['run', 'flow.yaml', '--output', 'plain'], sandbox, {
      cwd: project,
      timeoutMs: 60_000,
    });
    expect(first.code, first.stderr).toBe(1);
    const [id] = fs.readdirSync(sessions);
    if (id === undefined) throw new Error('no session was created');
    const folder = path.join(sessions, id);
    expect(occurrences(folder, GLOBAL_MARK)).toEqual({ 'journal.jsonl': 1 });
    expect(occurrences(folder, OUTPUT_MARK)).toEqual({ 'results/0.json': 1 });

    fs.writeFileSync(path.join(sandbox, 'go'), '');
    const resumed = await runCli(['resume', id, '--output', 'plain'], sandbox, {
      cwd: project,
      timeoutMs: 60_000,
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    // The global came back from the journal: the task saw all of it.
    const journal = fs.readFileSync(path.join(folder, 'journal.jsonl'), 'utf8');
    expect(journal).toContain(`length ${GLOBAL_MARK.length + GLOBAL_BYTES}`);
    expect(occurrences(folder, GLOBAL_MARK)).toEqual({ 'journal.jsonl': 1 });
    expect(occurrences(folder, OUTPUT_MARK)).toEqual({ 'results/0.json': 1 });
  });
});
