import fs from 'node:fs';
import path from 'node:path';
import { TaskflowError } from '../../errors.js';
import { JOURNAL_FILE } from '../../sessions/read-journal.js';
import { MANIFEST_FILE } from '../../sessions/manifest.js';
import {
  applyShardMerge,
  planShardMerge,
  type ShardCopy,
} from '../../sessions/merge-shard-copies.js';
import { isSessionId } from '../../sessions/session-id.js';
import { SessionStore } from '../../sessions/session-store.js';
import { EXIT } from '../exit-codes.js';
import { appendSummaryLines } from '../run-distribution.js';
import type { RuntimeContext } from '../runtime-context.js';
import { sessionRoot } from '../session-root.js';
import { describeOrdinals, describeShardRun } from '../shard-lines.js';

export interface MergeOptions {
  readonly from: readonly string[];
  readonly sessionDir?: string;
}

/**
 * `taskflow merge <id> --from <dir>...` (scale-out.md "Shards"): folds the work shard
 * copies of a session did into the session in --session-dir — every branch record the
 * session lacks, the shards' records, their usage and counters — all or nothing, and
 * idempotently (merging a copy again adds nothing). A refusal is one line; then
 * `taskflow resume <id>` runs the branches no shard finished and the tasks after.
 */
export function mergeCommand(context: RuntimeContext, id: string, options: MergeOptions): number {
  const store = new SessionStore(sessionRoot(context, options.sessionDir));
  const session = store.open(id);
  try {
    const copies = options.from.map((given) => readShardCopy(context, given, session.id));
    const manifest = session.manifest;
    const task = manifest.tasks.find(
      (entry) => entry.status !== 'succeeded' && entry.status !== 'skipped',
    );
    if (manifest.status === 'succeeded' || task === undefined) {
      context.stdout.write(`session ${session.id} already finished; nothing to merge\n`);
      return EXIT.ok;
    }
    const plan = planShardMerge(
      { id: session.id, dir: session.dir, manifest, records: session.records },
      task.index,
      copies,
    );
    applyShardMerge(session, plan);
    const merged = session.manifest;
    const lines: string[] = [];
    for (const copy of plan.copies) {
      if (copy.records === 0) {
        lines.push(`${copy.shown}: nothing new`);
      } else {
        lines.push(
          `${copy.shown}: merged ${copy.branches.length} branch${copy.branches.length === 1 ? '' : 'es'}` +
            (copy.branches.length > 0 ? ` (${describeOrdinals(copy.branches)})` : ''),
        );
      }
      if (copy.kept.length > 0) {
        lines.push(
          `${copy.shown}: branches ${describeOrdinals(copy.kept)} ran differently there and here; kept the session's`,
        );
      }
    }
    const shardLines = (merged.shards ?? [])
      .filter((run) => run.task === task.index)
      .map((run) => describeShardRun(run, merged));
    const entry = merged.tasks.find((candidate) => candidate.index === task.index);
    const done = entry?.items ? entry.items.succeeded : 0;
    const total = entry?.items?.total ?? 0;
    const status = `${done} of ${total} branches of task ${task.index + 1} "${task.name}" succeeded; continue with: taskflow resume ${session.id}`;
    for (const line of [...lines, ...shardLines, status]) context.stdout.write(`${line}\n`);
    appendSummaryLines(
      context.environment.GITHUB_STEP_SUMMARY,
      `taskflow merge: session ${session.id}`,
      [...shardLines, status],
      (message) => context.stderr.write(`taskflow: warning: ${message}\n`),
    );
    return EXIT.ok;
  } finally {
    session.close();
  }
}

/**
 * A shard copy named on the command line: a session folder itself, or a folder of sessions
 * holding `<id>/` (what a CI artifact of the session folder unpacks to).
 *
 * @throws TaskflowError 'usage' for a missing folder, 'session' (a refusal) when it holds
 *   only other sessions
 */
function readShardCopy(context: RuntimeContext, given: string, id: string): ShardCopy {
  const resolved = path.resolve(context.workingDirectory, given);
  if (!fs.statSync(resolved, { throwIfNoEntry: false })?.isDirectory()) {
    throw new TaskflowError('usage', `--from ${given}: no such folder`);
  }
  const isSessionFolder = [MANIFEST_FILE, JOURNAL_FILE].some((name) =>
    fs.existsSync(path.join(resolved, name)),
  );
  const folder = isSessionFolder ? resolved : path.join(resolved, id);
  if (!isSessionFolder && !fs.existsSync(folder)) {
    const others = fs.readdirSync(resolved).filter(isSessionId).sort();
    throw new TaskflowError(
      'session',
      others.length > 0
        ? `refusing to merge ${given}: it holds another session (${others.slice(0, 3).join(', ')}${others.length > 3 ? ', …' : ''}, not ${id})`
        : `refusing to merge ${given}: it holds no copy of session ${id}`,
    );
  }
  const snapshot = new SessionStore(path.dirname(folder)).read(path.basename(folder));
  for (const warning of snapshot.warnings) context.stderr.write(`taskflow: warning: ${warning}\n`);
  return { shown: given, folder, manifest: snapshot.manifest, records: snapshot.records };
}
