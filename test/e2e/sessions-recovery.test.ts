import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './cli-harness.js';
import {
  answerItems,
  crashAfterItems,
  isSummary,
  itemOf,
  itemsFlow,
  manifestOf,
  modelRequests,
  runToEnd,
  sessionsRoot,
  useSessionsWorkspace,
} from './sessions-kit.js';

/**
 * Damaged sessions (sessions.md "Write protocol"): a torn final journal line and a lost
 * manifest are recovered from; a manifest or journal of a newer schema version is refused
 * with a message naming the version (a session error: exit 1, nothing sent).
 */

const workspace = useSessionsWorkspace({ handler: answerItems, flow: itemsFlow(6) });
let id: string;
let sessionDir: string;

beforeEach(async () => {
  const { server, sandbox, work } = workspace;
  ({ id } = await crashAfterItems(server, sandbox, work, { doneBefore: 3 }));
  sessionDir = path.join(sessionsRoot(sandbox), id);
});

const resume = () =>
  runToEnd(workspace.server, workspace.sandbox, ['resume', id, '--output', 'plain'], {
    cwd: workspace.work,
    timeoutMs: 30_000,
  });

describe('a damaged session', () => {
  it('resumes after a torn final journal line and a deleted manifest', async () => {
    const { server, sandbox } = workspace;
    const journalPath = path.join(sessionDir, 'journal.jsonl');
    const intact = fs.readFileSync(journalPath, 'utf8');
    fs.appendFileSync(journalPath, '{"seq":999,"type":"item-end","task":1,"item":3,"sta');
    fs.rmSync(path.join(sessionDir, 'manifest.json'));

    const shown = await runCli(['sessions', 'show', id], sandbox);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('manifest rebuilt from the journal');
    expect(shown.stdout).toContain('torn write');

    const before = modelRequests(server).length;
    const result = await resume();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).toMatch(/incomplete final line \(torn write\)/);
    expect(result.stdout + result.stderr).toContain('rebuilt it from the journal');
    const requests = modelRequests(server).slice(before);
    expect(requests.filter((request) => !isSummary(request)).map(itemOf)).toEqual([3, 4, 5]);
    expect(requests.filter(isSummary)).toHaveLength(1);

    // The torn bytes were cut off before appending: every line is a whole record again.
    const text = fs.readFileSync(journalPath, 'utf8');
    expect(text.startsWith(intact)).toBe(true);
    expect(text.endsWith('\n')).toBe(true);
    expect(text).not.toContain('"seq":999');
    const lines = text.trimEnd().split('\n');
    expect(() => lines.map((line) => JSON.parse(line) as unknown)).not.toThrow();
    expect(manifestOf(sandbox, id)).toMatchObject({ id, status: 'succeeded' });
  });

  it('rebuilds a manifest cut short and resumes', async () => {
    const { server, sandbox } = workspace;
    const listed = await runCli(['sessions', 'list'], sandbox);
    expect(listed.stdout).toMatch(new RegExp(`${id}\\s+running \\(process gone\\)\\s+1/3`));
    const manifestPath = path.join(sessionDir, 'manifest.json');
    const text = fs.readFileSync(manifestPath, 'utf8');
    fs.writeFileSync(manifestPath, text.slice(0, text.length >> 1));

    const before = modelRequests(server).length;
    const result = await resume();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).toMatch(/not valid JSON.*rebuilt the manifest/);
    const requests = modelRequests(server).slice(before);
    expect(requests.filter((request) => !isSummary(request)).map(itemOf)).toEqual([3, 4, 5]);
    expect(manifestOf(sandbox, id)).toMatchObject({ status: 'succeeded' });
  });

  it('refuses a manifest of a newer schema version, naming it, and sends nothing', async () => {
    const { server, sandbox } = workspace;
    const manifestPath = path.join(sessionDir, 'manifest.json');
    const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(manifestPath, JSON.stringify({ ...manifest, schemaVersion: 7 }));
    const journalBefore = fs.readFileSync(path.join(sessionDir, 'journal.jsonl'), 'utf8');

    const before = modelRequests(server).length;
    const result = await resume();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('session manifest schema version 7 is newer');
    expect(result.stderr).toContain('upgrade taskflow');
    expect(modelRequests(server).length).toBe(before);
    // Nothing was changed, and the lock was released again.
    expect(fs.readFileSync(path.join(sessionDir, 'journal.jsonl'), 'utf8')).toBe(journalBefore);
    expect(fs.existsSync(path.join(sessionDir, 'lock'))).toBe(false);

    const listed = await runCli(['sessions', 'list'], sandbox);
    expect(listed.stdout).toMatch(new RegExp(`${id}\\s+unreadable`));
  });

  it('refuses a journal of a newer schema version when the manifest must be rebuilt', async () => {
    const journalPath = path.join(sessionDir, 'journal.jsonl');
    const [first, ...rest] = fs.readFileSync(journalPath, 'utf8').split('\n');
    const start = JSON.parse(first ?? '') as Record<string, unknown>;
    fs.writeFileSync(
      journalPath,
      [JSON.stringify({ ...start, schemaVersion: 3 }), ...rest].join('\n'),
    );
    fs.rmSync(path.join(sessionDir, 'manifest.json'));

    const result = await resume();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('session journal schema version 3 is newer');
    expect(fs.existsSync(path.join(sessionDir, 'lock'))).toBe(false);
  });
});
