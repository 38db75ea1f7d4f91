import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { manifestSchema } from '../../src/sessions/manifest.js';
import { readJournal } from '../../src/sessions/read-journal.js';
import { rebuildManifest } from '../../src/sessions/rebuild-manifest.js';
import { JournalBuilder } from './journal-builder.js';
import { createInput } from './session-fixtures.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/sessions/', import.meta.url));
const usage = { inputTokens: 5, outputTokens: 1 };

function started(): JournalBuilder {
  const { taskflow, globals, fingerprint, runner, taskNames } = createInput();
  return new JournalBuilder().add({
    type: 'session-start',
    schemaVersion: 1,
    id: '0a1b2c3d4e5f',
    taskflow,
    globals,
    fingerprint,
    runner,
    ...(taskNames && { taskNames: [...taskNames] }),
  });
}

describe('rebuildManifest', () => {
  it('rebuilds the v1 journal fixture as an interrupted run', () => {
    const { records } = readJournal(path.join(FIXTURES, 'journal-v1.jsonl'));
    const manifest = rebuildManifest('0a1b2c3d4e5f', records);
    expect(manifestSchema.parse(manifest)).toEqual(manifest);
    expect(manifest).toMatchObject({
      status: 'interrupted',
      createdAt: '2025-03-01T10:00:00.000Z',
      updatedAt: '2025-03-01T10:00:04.000Z',
      modelConfig: 'examples.model_configs.default',
      usage: { inputTokens: 100, outputTokens: 20 },
      outputs: { issues: '[1,2,3]' },
      tasks: [
        { name: 'fetch issues', status: 'succeeded', requests: 3, retries: { network: 1 } },
        { name: 'triage each', status: 'running', items: { total: 3, succeeded: 0, failed: 0 } },
      ],
    });
    expect(manifest.finishedAt).toBeUndefined();
  });

  it('is succeeded when every task ended well, failed when the last end failed', () => {
    const journal = started()
      .add({ type: 'task-end', task: 0, status: 'succeeded', usage, durationMs: 1 })
      .add({ type: 'task-end', task: 1, status: 'skipped', usage, durationMs: 0 });
    const succeeded = rebuildManifest('0a1b2c3d4e5f', journal.records);
    expect(succeeded).toMatchObject({
      status: 'succeeded',
      finishedAt: journal.records.at(-1)?.at,
    });

    const failing = started()
      .add({ type: 'task-end', task: 0, status: 'succeeded', usage, durationMs: 1 })
      .add({
        type: 'task-end',
        task: 1,
        status: 'failed',
        error: { code: 'quota', message: 'out of credit', class: 'quota' },
        usage,
        durationMs: 1,
      });
    expect(rebuildManifest('0a1b2c3d4e5f', failing.records)).toMatchObject({
      status: 'failed',
      error: { code: 'quota', class: 'quota', message: 'out of credit', task: 1 },
      usage: { inputTokens: 10, outputTokens: 2 },
    });
  });

  it('needs the session-start record', () => {
    expect(() => rebuildManifest('0a1b2c3d4e5f', new JournalBuilder().records)).toThrow(
      /no session-start record/,
    );
  });
});
