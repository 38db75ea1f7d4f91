import { describe, expect, it } from 'vitest';
import { planPrune } from '../../src/sessions/prune-plan.js';
import type { SessionSummary } from '../../src/sessions/session-store.js';

const NOW = Date.parse('2026-01-10T00:00:00.000Z');
const DAY_MS = 86_400_000;

function summary(
  id: string,
  status: SessionSummary['status'],
  daysAgo: number,
  inUse = false,
): SessionSummary {
  return {
    id,
    taskflow: 'flow',
    status,
    tasksDone: 0,
    tasksTotal: 1,
    updatedAt: new Date(NOW - daysAgo * DAY_MS).toISOString(),
    inUse,
  };
}

describe('planPrune', () => {
  const sessions = [
    summary('old', 'succeeded', 8),
    summary('edge', 'succeeded', 7),
    summary('young', 'succeeded', 6),
    summary('failed', 'failed', 30),
    summary('live', 'succeeded', 30, true),
    summary('live-running', 'running', 30, true),
  ];

  it('takes sessions at least as old as the age, with a chosen status', () => {
    const plan = planPrune(sessions, {
      olderThanMs: 7 * DAY_MS,
      statuses: new Set(['succeeded']),
      now: NOW,
    });
    expect(plan.remove.map((entry) => entry.id)).toEqual(['old', 'edge']);
  });

  it('keeps every session a live process holds, whatever its status', () => {
    const plan = planPrune(sessions, {
      olderThanMs: 0,
      statuses: new Set(['succeeded', 'failed', 'running']),
      now: NOW,
    });
    expect(plan.remove.map((entry) => entry.id)).toEqual(['old', 'edge', 'young', 'failed']);
    expect(plan.inUse.map((entry) => entry.id)).toEqual(['live', 'live-running']);
  });
});
