import { parseDuration } from '../../duration.js';
import { isTaskflowError, TaskflowError } from '../../errors.js';
import {
  PRUNABLE_STATUSES,
  STATUS_GROUPS,
  planPrune,
  type PrunableStatus,
} from '../../sessions/prune-plan.js';
import { SessionStore, type SessionSummary } from '../../sessions/session-store.js';
import { checkSessionRoot } from '../session-root.js';
import { EXIT } from '../exit-codes.js';
import type { RuntimeContext } from '../runtime-context.js';

export const DEFAULT_PRUNE_AGE = '7d';
export const DEFAULT_PRUNE_STATUS = 'succeeded';

export interface PruneOptions {
  readonly sessionDir?: string;
  /** Default DEFAULT_PRUNE_AGE. */
  readonly olderThan?: string;
  /** Statuses or groups, each possibly comma-separated; default DEFAULT_PRUNE_STATUS. */
  readonly status?: readonly string[];
  readonly dryRun?: boolean;
}

/** `--status` values -> statuses. @throws TaskflowError 'usage' naming an unknown one */
export function parsePruneStatuses(values: readonly string[]): Set<PrunableStatus> {
  const statuses = new Set<PrunableStatus>();
  for (const word of values.flatMap((value) => value.split(','))) {
    const name = word.trim().toLowerCase();
    if (name === '') continue;
    const group = STATUS_GROUPS[name];
    const single = PRUNABLE_STATUSES.find((status) => status === name);
    if (group) group.forEach((status) => statuses.add(status));
    else if (single) statuses.add(single);
    else {
      throw new TaskflowError(
        'usage',
        `--status: unknown status ${JSON.stringify(word)} (expected ${[...PRUNABLE_STATUSES, ...Object.keys(STATUS_GROUPS)].join(', ')})`,
      );
    }
  }
  if (statuses.size === 0) throw new TaskflowError('usage', '--status: no status given');
  return statuses;
}

function row(summary: SessionSummary): string {
  return `${summary.id}  ${summary.status}  ${summary.updatedAt}  ${summary.taskflow || (summary.problem ?? '')}`.trimEnd();
}

const sessionsWord = (count: number) => `${count} session${count === 1 ? '' : 's'}`;

/**
 * `taskflow sessions prune [--older-than 7d] [--status succeeded] [--dry-run]`: removes
 * sessions last updated before the age with one of the statuses, printing each one.
 * Sessions a live process holds are kept (and said so). Exit 1 when a removal failed.
 */
export function sessionsPruneCommand(context: RuntimeContext, options: PruneOptions): number {
  const ageText = options.olderThan ?? DEFAULT_PRUNE_AGE;
  const olderThanMs = parseDuration(ageText);
  if (olderThanMs === undefined) {
    throw new TaskflowError(
      'usage',
      `--older-than: expected a duration such as 7d, 12h or 30m, got ${JSON.stringify(ageText)}`,
    );
  }
  const statusWords = options.status?.length ? options.status : [DEFAULT_PRUNE_STATUS];
  const statuses = parsePruneStatuses(statusWords);
  const store = new SessionStore(
    checkSessionRoot(context, options.sessionDir, { write: !options.dryRun }),
  );
  const plan = planPrune(store.list(), { olderThanMs, statuses, now: Date.now() });
  const out = (line: string) => context.stdout.write(`${line}\n`);
  const criteria = `last updated more than ${ageText} ago, status ${statusWords.join(',')}`;

  for (const summary of plan.inUse) out(`kept ${summary.id}: in use by a running process`);
  let removed = 0;
  let failed = 0;
  for (const summary of plan.remove) {
    if (options.dryRun) {
      out(`would remove ${row(summary)}`);
      removed++;
      continue;
    }
    try {
      store.remove(summary.id);
      out(`removed ${row(summary)}`);
      removed++;
    } catch (error) {
      if (!isTaskflowError(error)) throw error;
      // Taken by a process that started after the listing: kept, as any session in use.
      if (error.code === 'session-locked') out(`kept ${summary.id}: in use by a running process`);
      else {
        context.stderr.write(`taskflow: ${error.message}\n`);
        failed++;
      }
    }
  }
  if (removed === 0) out(`nothing to prune (no session ${criteria})`);
  else out(`${options.dryRun ? 'would remove' : 'removed'} ${sessionsWord(removed)} (${criteria})`);
  return failed > 0 ? EXIT.failed : EXIT.ok;
}
