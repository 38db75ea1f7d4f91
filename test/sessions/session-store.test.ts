import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TaskflowError } from '../../src/errors.js';
import { writeManifest } from '../../src/sessions/manifest.js';
import { readJournal } from '../../src/sessions/read-journal.js';
import { SessionStore } from '../../src/sessions/session-store.js';
import { createInput, tempDir } from './session-fixtures.js';

function caught(action: () => unknown): TaskflowError {
  try {
    action();
  } catch (error) {
    if (error instanceof TaskflowError) return error;
    throw error;
  }
  throw new Error('expected a TaskflowError');
}

const usage = { inputTokens: 10, outputTokens: 2 };

describe('SessionStore', () => {
  it('creates a locked session with manifest and a session-start record', () => {
    const store = new SessionStore(path.join(tempDir(), 'nested', 'sessions'));
    const session = store.create(createInput());
    expect(session.id).toMatch(/^[0-9a-f]{12}$/);
    expect(fs.readdirSync(session.dir).sort()).toEqual(['journal.jsonl', 'lock', 'manifest.json']);
    expect(session.manifest).toMatchObject({
      schemaVersion: 2,
      id: session.id,
      status: 'running',
      taskflow: { reference: 'examples.taskflows.demo' },
      modelConfig: 'examples.model_configs.default',
      tasks: [
        { index: 0, name: 'first', status: 'pending' },
        { index: 1, name: 'second', status: 'pending' },
      ],
    });
    const [start] = readJournal(path.join(session.dir, 'journal.jsonl')).records;
    expect(start).toMatchObject({
      seq: 1,
      type: 'session-start',
      schemaVersion: 1,
      id: session.id,
    });
    expect(caught(() => store.open(session.id)).code).toBe('session-locked');
    session.close();
    expect(fs.existsSync(path.join(session.dir, 'lock'))).toBe(false);
  });

  it('reopens by a prefix, continues the journal and updates the manifest atomically', () => {
    const store = new SessionStore(tempDir());
    const created = store.create(createInput());
    created.journal.append({ type: 'task-start', task: 0, name: 'first', itemCount: 1 });
    created.close();

    using session = store.open(created.id.slice(0, 4).toUpperCase());
    expect(session.id).toBe(created.id);
    expect(session.records.map((record) => record.type)).toEqual(['session-start', 'task-start']);
    expect(session.journal.append({ type: 'item-start', task: 0, item: 0 }).seq).toBe(3);
    const before = session.manifest.updatedAt;
    session.updateManifest((draft) => {
      draft.status = 'failed';
      draft.error = { code: 'task-failed', message: 'boom', task: 0 };
    });
    const written = session.updateManifest((draft) => ({ ...draft, resumeNotBefore: before }));
    expect(written.status).toBe('failed');
    expect(Date.parse(written.updatedAt)).toBeGreaterThanOrEqual(Date.parse(before));
    expect(store.read(session.id).manifest).toEqual(written);
    expect(fs.readdirSync(session.dir).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  it('explains unknown ids, short and ambiguous prefixes', () => {
    const root = tempDir();
    const store = new SessionStore(root);
    fs.mkdirSync(path.join(root, 'abcd00000001'));
    fs.mkdirSync(path.join(root, 'abcd00000002'));
    expect(caught(() => store.open('ffff')).message).toBe(`no session ffff in ${root}`);
    const short = caught(() => store.open('abc'));
    expect(short.message).toBe(`no session abc in ${root}`);
    expect(short.details).toEqual(['give at least 4 characters of the id']);
    expect(caught(() => store.open('abcd0')).message).toBe(
      `session id prefix abcd0 is ambiguous in ${root}: abcd00000001, abcd00000002`,
    );
    expect(store.resolveId('abcd00000002')).toBe('abcd00000002');
  });

  it('rebuilds a missing manifest from the journal on open', () => {
    const store = new SessionStore(tempDir());
    const created = store.create(createInput());
    created.journal.append({
      type: 'task-start',
      task: 0,
      name: 'first',
      itemCount: 1,
      outputId: 'out',
    });
    created.journal.append({
      type: 'task-end',
      task: 0,
      status: 'succeeded',
      result: { value: { ok: true }, source: { text: '{"ok":true}' } },
      usage,
      durationMs: 12,
    });
    created.journal.append({ type: 'task-start', task: 1, name: 'second', itemCount: 1 });
    created.close();
    fs.rmSync(path.join(created.dir, 'manifest.json'));

    expect(store.read(created.id)).toMatchObject({
      rebuilt: true,
      manifest: { status: 'interrupted' },
    });
    expect(fs.existsSync(path.join(created.dir, 'manifest.json'))).toBe(false);

    using session = store.open(created.id);
    expect(session.rebuilt).toBe(true);
    expect(session.manifest).toMatchObject({
      status: 'interrupted',
      taskflow: { reference: 'examples.taskflows.demo' },
      globals: { repo: 'octo/demo' },
      tasks: [
        { name: 'first', status: 'succeeded', durationMs: 12, usage },
        { name: 'second', status: 'running' },
      ],
      outputs: { out: '{"ok":true}' },
    });
    expect(store.read(created.id).rebuilt).toBe(false);
  });

  it('cleans temp files a crash left when opening', () => {
    const store = new SessionStore(tempDir());
    const created = store.create(createInput());
    created.close();
    const leftover = path.join(created.dir, '.tmp-manifest.json-1-00000000');
    fs.writeFileSync(leftover, '{');
    store.open(created.id).close();
    expect(fs.existsSync(leftover)).toBe(false);
  });

  it('lists sessions newest first without taking locks', () => {
    const root = tempDir();
    const store = new SessionStore(root);
    const older = store.create(createInput());
    older.close();
    writeManifest(older.dir, {
      ...older.manifest,
      status: 'failed',
      updatedAt: '2025-01-01T00:00:00.000Z',
      tasks: older.manifest.tasks.map((task, index) =>
        index === 0 ? { ...task, status: 'succeeded' } : task,
      ),
    });
    const newer = store.create(
      createInput({ taskflow: { reference: 'other', path: '/tmp/o.yaml' } }),
    );
    const broken = path.join(root, 'ffffffffffff');
    fs.mkdirSync(broken);
    fs.utimesSync(broken, new Date('2000-01-01'), new Date('2000-01-01'));
    fs.mkdirSync(path.join(root, 'not-a-session'));

    const list = store.list();
    expect(list.map((summary) => summary.id)).toEqual([newer.id, older.id, 'ffffffffffff']);
    expect(list[0]).toMatchObject({
      taskflow: 'other',
      status: 'running',
      tasksDone: 0,
      tasksTotal: 2,
      inUse: true,
    });
    expect(list[1]).toMatchObject({ status: 'failed', tasksDone: 1, tasksTotal: 2, inUse: false });
    expect(list[2]).toMatchObject({
      status: 'unreadable',
      updatedAt: '2000-01-01T00:00:00.000Z',
      problem: `session ffffffffffff in ${root} has no manifest or journal`,
    });
    newer.close();
    expect(new SessionStore(path.join(root, 'missing')).list()).toEqual([]);
  });

  it('removes a session unless a live process holds it', () => {
    const store = new SessionStore(tempDir());
    const session = store.create(createInput());
    expect(caught(() => store.remove(session.id)).code).toBe('session-locked');
    session.close();
    store.remove(session.id.slice(0, 6));
    expect(fs.existsSync(session.dir)).toBe(false);
    expect(store.list()).toEqual([]);
  });
});

describe('SessionStore with a damaged manifest', () => {
  function crashedSession(store: SessionStore) {
    const created = store.create(
      createInput({ workingDirectory: '/work/here', searchPaths: ['/extra/root'] }),
    );
    created.journal.append({ type: 'task-start', task: 0, name: 'first', itemCount: 1 });
    created.close();
    return created;
  }

  it('rebuilds a manifest that is not valid JSON from the journal, saying why', () => {
    const store = new SessionStore(tempDir());
    const created = crashedSession(store);
    const manifestPath = path.join(created.dir, 'manifest.json');
    fs.writeFileSync(manifestPath, '{"schemaVersion": 1, "id": "');

    const snapshot = store.read(created.id);
    expect(snapshot.rebuilt).toBe(true);
    expect(snapshot.warnings.join('\n')).toMatch(/not valid JSON.*rebuilt the manifest/);
    using session = store.open(created.id);
    expect(session.rebuilt).toBe(true);
    expect(session.warnings.join('\n')).toContain('rebuilt the manifest from the journal');
    expect(session.manifest).toMatchObject({
      id: created.id,
      status: 'interrupted',
      workingDirectory: '/work/here',
      searchPaths: ['/extra/root'],
      tasks: [{ name: 'first', status: 'running' }, { status: 'pending' }],
    });
    expect(JSON.parse(fs.readFileSync(manifestPath, 'utf8'))).toMatchObject({ id: created.id });
  });

  it('never replaces a manifest of a newer version or of another session', () => {
    const store = new SessionStore(tempDir());
    const created = crashedSession(store);
    const manifestPath = path.join(created.dir, 'manifest.json');
    const valid = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;

    const newer = JSON.stringify({ ...valid, schemaVersion: 3, unknownField: true });
    fs.writeFileSync(manifestPath, newer);
    expect(caught(() => store.open(created.id)).message).toContain('schema version 3 is newer');
    expect(fs.readFileSync(manifestPath, 'utf8')).toBe(newer);
    expect(fs.existsSync(path.join(created.dir, 'lock'))).toBe(false);

    const foreign = JSON.stringify({ ...valid, id: 'aaaaaaaaaaaa' });
    fs.writeFileSync(manifestPath, foreign);
    expect(caught(() => store.open(created.id)).message).toContain('does not match its folder');
    expect(fs.readFileSync(manifestPath, 'utf8')).toBe(foreign);
  });

  it('reports a damaged manifest when there is no journal to rebuild from', () => {
    const store = new SessionStore(tempDir());
    const created = crashedSession(store);
    fs.rmSync(path.join(created.dir, 'journal.jsonl'));
    fs.writeFileSync(path.join(created.dir, 'manifest.json'), '[]');
    expect(caught(() => store.read(created.id)).message).toContain('invalid session manifest');
    expect(caught(() => store.open(created.id)).message).toContain('invalid session manifest');
  });
});
