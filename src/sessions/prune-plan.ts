import type { SessionSummary } from './session-store.js';

export type PrunableStatus = SessionSummary['status'];

/** Every status a session folder can show in `sessions list`. */
export const PRUNABLE_STATUSES: readonly PrunableStatus[] = [
  'succeeded',
  'failed',
  'stopped',
  'interrupted',
  'planned',
  'sharded',
  'running',
  'unreadable',
];

/**
 * Names for several statuses: `finished` is every run that ended (resumable ones
 * included), `all` adds runs whose process is gone while `running` and unreadable folders.
 */
export const STATUS_GROUPS: Readonly<Record<string, readonly PrunableStatus[]>> = {
  finished: ['succeeded', 'failed', 'stopped', 'interrupted', 'planned', 'sharded'],
  all: PRUNABLE_STATUSES,
};

export interface PruneCriteria {
  /** Sessions last updated at least this long before `now` are old enough. */
  readonly olderThanMs: number;
  readonly statuses: ReadonlySet<PrunableStatus>;
  /** Epoch milliseconds. */
  readonly now: number;
}

export interface PrunePlan {
  /** Old enough, with a chosen status, and no live process holds them. */
  readonly remove: readonly SessionSummary[];
  /** Would be removed, but a live process holds the lock: never pruned. */
  readonly inUse: readonly SessionSummary[];
}

/**
 * Which sessions a prune removes. A session a live process holds is never removed,
 * whatever its manifest says (a crashed run's manifest still says `running`; a live one
 * may say anything while it resumes).
 */
export function planPrune(
  summaries: readonly SessionSummary[],
  criteria: PruneCriteria,
): PrunePlan {
  const remove: SessionSummary[] = [];
  const inUse: SessionSummary[] = [];
  for (const summary of summaries) {
    const updated = Date.parse(summary.updatedAt);
    const oldEnough = Number.isFinite(updated) && criteria.now - updated >= criteria.olderThanMs;
    if (!oldEnough || !criteria.statuses.has(summary.status)) continue;
    (summary.inUse ? inUse : remove).push(summary);
  }
  return { remove, inUse };
}
