import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli-harness.js';
import {
  answerItems,
  crashAfterItems,
  isSummary,
  itemOf,
  itemsFlow,
  modelRequests,
  onlySession,
  runToEnd,
  sessionsRoot,
  useSessionsWorkspace,
  writeFlow,
} from './sessions-kit.js';

/**
 * Issue 10 defect 8: a journal shorter than its manifest says (emptied, cut in half) is
 * refused by `resume` — exit 1, one line naming the journal and what the manifest
 * records, nothing sent, nothing changed — instead of a silent restart that redoes work.
 * A torn final line (a crash mid-append, which the manifest never counts) still resumes.
 */

const workspace = useSessionsWorkspace({ handler: answerItems });

const journalPath = (id: string) => path.join(sessionsRoot(workspace.sandbox), id, 'journal.jsonl');
const manifestPath = (id: string) =>
  path.join(sessionsRoot(workspace.sandbox), id, 'manifest.json');

const resume = (id: string) =>
  runToEnd(workspace.server, workspace.sandbox, ['resume', id, '--output', 'plain'], {
    cwd: workspace.work,
    timeoutMs: 30_000,
  });

/** Resumes and expects the refusal: exit 1, one stderr line, no request, files untouched. */
async function expectRefused(id: string, pattern: RegExp): Promise<string> {
  const { server, sandbox } = workspace;
  const journalBefore = fs.readFileSync(journalPath(id));
  const manifestBefore = fs.readFileSync(manifestPath(id), 'utf8');
  const before = modelRequests(server).length;
  const result = await resume(id);
  expect(result.code, result.stdout + result.stderr).toBe(1);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toContain(journalPath(id));
  expect(lines[0]).toMatch(pattern);
  expect(lines[0]).toContain('refusing to resume (it would redo their work)');
  expect(result.stderr).not.toMatch(/internal error|\n\s+at /);
  expect(modelRequests(server).length).toBe(before);
  expect(fs.readFileSync(journalPath(id)).equals(journalBefore)).toBe(true);
  expect(fs.readFileSync(manifestPath(id), 'utf8')).toBe(manifestBefore);
  expect(fs.existsSync(path.join(sessionsRoot(sandbox), id, 'lock'))).toBe(false);
  return lines[0] ?? '';
}

describe('a journal shorter than its manifest', () => {
  it('refuses an emptied journal of a killed run', async () => {
    const { server, sandbox, work } = workspace;
    writeFlow(work, 'flow', itemsFlow(6));
    const { id } = await crashAfterItems(server, sandbox, work, { doneBefore: 3 });
    fs.truncateSync(journalPath(id), 0);
    await expectRefused(
      id,
      /journal\.jsonl has 0 records but the manifest records 1 finished task, 1 task in progress and \d+ journal records/,
    );
    // `sessions show` says what resume will say.
    const shown = await runCli(['sessions', 'show', id], sandbox);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/warning: .*journal\.jsonl has 0 records but the manifest/);
  });

  it('refuses a journal of a killed run cut in half', async () => {
    const { server, sandbox, work } = workspace;
    writeFlow(work, 'flow', itemsFlow(6));
    const { id } = await crashAfterItems(server, sandbox, work, { doneBefore: 3 });
    const size = fs.statSync(journalPath(id)).size;
    fs.truncateSync(journalPath(id), size >> 1);
    await expectRefused(id, /journal\.jsonl has \d+ records but the manifest records/);
  });

  it('refuses a half journal of a run that failed part-way', async () => {
    const { server, sandbox, work } = workspace;
    writeFlow(work, 'flow', itemsFlow(12));
    server.setHandler((request) =>
      isSummary(request) ? { kind: 'error', status: 400 } : answerItems(request),
    );
    const run = await runToEnd(server, sandbox, ['run', 'flow.yaml', '--output', 'plain'], {
      cwd: work,
    });
    expect(run.code, run.stderr).not.toBe(0);
    const id = onlySession(sandbox);
    const size = fs.statSync(journalPath(id)).size;
    fs.truncateSync(journalPath(id), size >> 1);
    server.setHandler(answerItems);
    // 13 items: the 12 answers and the summary's one prompt.
    const line = await expectRefused(
      id,
      /has \d+ records but the manifest records 3 finished tasks, 13 finished items and \d+ journal records/,
    );
    expect(line.startsWith('taskflow: ')).toBe(true);
  });

  it('still resumes after a torn final line (a crash mid-append)', async () => {
    const { server, sandbox, work } = workspace;
    writeFlow(work, 'flow', itemsFlow(6));
    const { id } = await crashAfterItems(server, sandbox, work, { doneBefore: 3 });
    const text = fs.readFileSync(journalPath(id), 'utf8');
    // Cut the last record in the middle: what a crash during its write leaves.
    const lastStart = text.lastIndexOf('\n', text.length - 2) + 1;
    fs.truncateSync(journalPath(id), lastStart + ((text.length - lastStart) >> 1));

    const before = modelRequests(server).length;
    const result = await resume(id);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).toMatch(/incomplete final line \(torn write\)/);
    const items = modelRequests(server)
      .slice(before)
      .filter((request) => !isSummary(request))
      .map(itemOf);
    expect(items).toEqual([3, 4, 5]);
  });
});
