import { describe, expect, it } from 'vitest';
import { describeOrdinals, describeShardRun } from '../../src/cli/shard-lines.js';

describe('shard lines', () => {
  it('count branches from 1, with ranges for runs and a count past the limit', () => {
    expect(describeOrdinals([0, 3, 6])).toBe('1, 4, 7');
    expect(describeOrdinals([2, 3, 4, 8, 9])).toBe('3-5, 9, 10');
    expect(
      describeOrdinals(
        Array.from({ length: 20 }, (_, i) => i * 2),
        3,
      ),
    ).toBe('1, 3, 5, … (20)');
  });

  it('say which branches a shard ran, where, and how they went', () => {
    const tasks = [{ index: 1, name: 'note each' }];
    const run = {
      task: 1,
      shard: 2,
      of: 3,
      branches: 9,
      host: 'runner-2',
      startedAt: '2025-04-01T10:00:00.000Z',
      endedAt: '2025-04-01T10:01:00.000Z',
      succeeded: 2,
      failed: [7],
      merged: true,
    };
    expect(describeShardRun(run, { tasks } as never)).toBe(
      'shard 2/3 of task 2 "note each": branches 2, 5, 8 (3 of 9) on runner-2 — 2 succeeded, 1 failed (branches 8), merged',
    );
    const { endedAt: _endedAt, host: _host, ...running } = run;
    expect(describeShardRun({ ...running, merged: false }, { tasks } as never)).toBe(
      'shard 2/3 of task 2 "note each": branches 2, 5, 8 (3 of 9) — not finished',
    );
  });
});
