import { describe, expect, it } from 'vitest';
import {
  assertJournalCoversManifest,
  journalShortfall,
} from '../../src/sessions/journal-coverage.js';
import type { Manifest } from '../../src/sessions/manifest.js';
import type { JournalContents } from '../../src/sessions/read-journal.js';
import { JournalBuilder } from './journal-builder.js';
import { sampleManifest } from './session-fixtures.js';

const usage = { inputTokens: 1, outputTokens: 1 };

/** task 0 finished with two items; task 1 started. */
function fullJournal(): JournalBuilder {
  return new JournalBuilder()
    .add({ type: 'task-start', task: 0, name: 'first', itemCount: 2 })
    .add({ type: 'item-end', task: 0, item: 0, status: 'succeeded' })
    .add({ type: 'item-end', task: 0, item: 1, status: 'failed' })
    .add({ type: 'task-end', task: 0, status: 'succeeded', usage, durationMs: 5 })
    .add({ type: 'task-start', task: 1, name: 'second', itemCount: 1 });
}

function contents(builder: JournalBuilder, keep = builder.records.length): JournalContents {
  const records = builder.records.slice(0, keep);
  return {
    records,
    lastSeq: records.at(-1)?.seq ?? 0,
    tornLines: 0,
    validBytes: 0,
    warnings: [],
  };
}

/** The manifest a run writes after the journal above. */
function manifestAfter(journalSeq: number | undefined): Manifest {
  const manifest = sampleManifest();
  manifest.tasks = [
    {
      ...manifest.tasks[0]!,
      status: 'succeeded',
      items: { total: 2, succeeded: 1, failed: 1 },
    },
    { ...manifest.tasks[0]!, index: 1, name: 'second', status: 'running' },
  ];
  if (journalSeq !== undefined) manifest.journalSeq = journalSeq;
  return manifest;
}

describe('journalShortfall', () => {
  it('accepts a journal holding what the manifest counts, or more', () => {
    const journal = fullJournal();
    expect(journalShortfall(manifestAfter(5), contents(journal), 'j')).toBeUndefined();
    journal.add({ type: 'item-start', task: 1, item: 0, prompt: 'p' });
    expect(journalShortfall(manifestAfter(5), contents(journal), 'j')).toBeUndefined();
  });

  it('names what an emptied journal lost', () => {
    expect(journalShortfall(manifestAfter(5), contents(fullJournal(), 0), '/s/journal.jsonl')).toBe(
      '/s/journal.jsonl has 0 records but the manifest records 1 finished task, 1 task in progress, 2 finished items and 5 journal records',
    );
  });

  it('finds a cut journal by its last seq alone', () => {
    // Every count still matches; only the records after seq 4 are missing.
    const manifest = manifestAfter(6);
    expect(journalShortfall(manifest, contents(fullJournal()), 'j')).toMatch(
      /has 5 records but .* and 6 journal records$/,
    );
  });

  it('falls back to counts for a manifest written before journalSeq', () => {
    const manifest = manifestAfter(undefined);
    expect(journalShortfall(manifest, contents(fullJournal()), 'j')).toBeUndefined();
    expect(journalShortfall(manifest, contents(fullJournal(), 4), 'j')).toBe(
      'j has 4 records but the manifest records 1 finished task, 1 task in progress and 2 finished items',
    );
    expect(journalShortfall(manifest, contents(fullJournal(), 2), 'j')).toMatch(/has 2 records/);
  });

  it('throws a session error saying resume would redo the work', () => {
    let thrown: unknown;
    try {
      assertJournalCoversManifest(manifestAfter(5), contents(fullJournal(), 0), 'j');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'session', filePath: 'j' });
    expect((thrown as Error).message).toMatch(
      /^j has 0 records .*; refusing to resume \(it would redo their work\)$/,
    );
  });
});
