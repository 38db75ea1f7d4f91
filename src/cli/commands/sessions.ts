import { formatDuration } from '../../duration.js';
import { isTaskflowError } from '../../errors.js';
import { sanitizeText } from '../../output/format.js';
import { shownStderrLines } from '../../output/stderr-lines.js';
import type { JournalRecord, RecordedError } from '../../sessions/journal-records.js';
import type { Manifest } from '../../sessions/manifest.js';
import { SessionStore } from '../../sessions/session-store.js';
import { EXIT } from '../exit-codes.js';
import type { RuntimeContext } from '../runtime-context.js';
import { checkSessionRoot } from '../session-root.js';
import { describeShardRun } from '../shard-lines.js';

interface SessionsOptions {
  readonly sessionDir?: string;
  readonly json?: boolean;
}

/** The store of a sessions command; a file where its folder should be is an error naming it. */
const store = (context: RuntimeContext, options: SessionsOptions, write = false) =>
  new SessionStore(checkSessionRoot(context, options.sessionDir, { write }));

/**
 * A `running` session whose lock no live process holds was killed: say so, since its
 * manifest could not.
 */
function statusLabel(status: string, inUse: boolean): string {
  if (inUse) return `${status} (in use)`;
  return status === 'running' ? 'running (process gone)' : status;
}

/**
 * A task the manifest still marks `running` is only running while the session is in use;
 * otherwise the run ended during it: it was stopped or interrupted with the run.
 */
function taskStatusLabel(status: string, manifest: Manifest, inUse: boolean): string {
  if (status !== 'running' || inUse) return status;
  switch (manifest.status) {
    case 'stopped':
      return 'stopped';
    case 'interrupted':
    case 'failed':
      return 'interrupted';
    case 'running':
      return 'interrupted (process gone)';
    default:
      return status;
  }
}

/** The error of each task whose last task-end record failed, by task index. */
function taskErrors(records: readonly JournalRecord[]): Map<number, RecordedError> {
  const errors = new Map<number, RecordedError>();
  for (const record of records) {
    if (record.type !== 'task-end') continue;
    if (record.error) errors.set(record.task, record.error);
    else errors.delete(record.task);
  }
  return errors;
}

/** `error: message` and its detail lines (a shell task's stderr tail), indented. */
function errorLines(error: RecordedError, indent: string): string[] {
  const [first = '', ...more] = sanitizeText(error.message).trim().split('\n');
  return [
    `${indent}error: ${first}`,
    ...shownStderrLines([...more, ...(error.details ?? [])]).map((line) => `${indent}│ ${line}`),
  ];
}

/** `taskflow sessions list`: id, taskflow, status, tasks done/total, updated time. */
export function sessionsListCommand(context: RuntimeContext, options: SessionsOptions): number {
  const sessions = store(context, options).list();
  if (options.json) {
    context.stdout.write(`${JSON.stringify(sessions, null, 2)}\n`);
    return EXIT.ok;
  }
  if (sessions.length === 0) {
    context.stdout.write('no sessions\n');
    return EXIT.ok;
  }
  const rows = sessions.map((entry) => [
    entry.id,
    statusLabel(entry.status, entry.inUse),
    `${entry.tasksDone}/${entry.tasksTotal}`,
    entry.updatedAt,
    entry.taskflow || (entry.problem ?? ''),
  ]);
  const header = ['ID', 'STATUS', 'TASKS', 'UPDATED', 'TASKFLOW'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  for (const row of [header, ...rows]) {
    context.stdout.write(
      `${row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd()}\n`,
    );
  }
  return EXIT.ok;
}

/** `taskflow sessions show <id>`: the manifest in human form (`--json`: raw). */
export function sessionsShowCommand(
  context: RuntimeContext,
  id: string,
  options: SessionsOptions,
): number {
  const snapshot = store(context, options).read(id);
  const manifest = snapshot.manifest;
  if (options.json) {
    context.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
    return EXIT.ok;
  }
  const out = (line: string) => context.stdout.write(`${line}\n`);
  out(`session   ${manifest.id}${snapshot.rebuilt ? ' (manifest rebuilt from the journal)' : ''}`);
  out(`taskflow  ${manifest.taskflow.reference} (${manifest.taskflow.path})`);
  out(`status    ${statusLabel(manifest.status, snapshot.inUse)}`);
  out(`created   ${manifest.createdAt}`);
  out(`updated   ${manifest.updatedAt}`);
  if (manifest.finishedAt) out(`finished  ${manifest.finishedAt}`);
  if (manifest.error) {
    const { task: failedTask, code, class: errorClass } = manifest.error;
    const where =
      failedTask === undefined
        ? ''
        : `task ${failedTask + 1}${manifest.tasks[failedTask] ? ` ${manifest.tasks[failedTask].name}` : ''}: `;
    const message = sanitizeText(manifest.error.message).trim();
    out(`error     ${where}${message} [${code}${errorClass ? `/${errorClass}` : ''}]`);
  }
  if (manifest.resumeNotBefore) out(`resume    not before ${manifest.resumeNotBefore}`);
  out(`tokens    ${manifest.usage.inputTokens} in / ${manifest.usage.outputTokens} out`);
  out('tasks');
  const errors = taskErrors(snapshot.records);
  for (const task of manifest.tasks) {
    const items = task.items
      ? ` items ${task.items.succeeded}/${task.items.total}${task.items.failed ? ` (${task.items.failed} failed)` : ''}`
      : '';
    const retries = Object.entries(task.retries)
      .map(([kind, count]) => `${kind} ${count}`)
      .join(', ');
    const duration = task.durationMs !== undefined ? ` ${formatDuration(task.durationMs)}` : '';
    out(
      `  ${String(task.index + 1).padStart(2)}. ${task.name}  ${taskStatusLabel(task.status, manifest, snapshot.inUse)}${duration}${items}  requests ${task.requests}` +
        `${retries ? `  retries: ${retries}` : ''}${task.waitMs ? `  waited ${formatDuration(task.waitMs)}` : ''}` +
        `${task.pacedMs ? `  paced ${formatDuration(task.pacedMs)}` : ''}` +
        `  tokens ${task.usage.inputTokens}/${task.usage.outputTokens}`,
    );
    const error = task.status === 'failed' ? errors.get(task.index) : undefined;
    if (error) for (const line of errorLines(error, '      ')) out(line);
  }
  const outputs = Object.entries(manifest.outputs);
  if (outputs.length > 0) {
    out('outputs');
    for (const [name, preview] of outputs) out(`  ${name}: ${preview}`);
  }
  if (manifest.shards?.length) {
    out('shards');
    for (const run of manifest.shards) out(`  ${describeShardRun(run, manifest)}`);
  }
  for (const warning of snapshot.warnings) out(`warning: ${warning}`);
  return EXIT.ok;
}

/**
 * `taskflow sessions rm <id>...`: every id (or unique prefix) is resolved first; the
 * sessions found are removed even when another id is unknown, ambiguous or in use (as
 * rm(1) does), and each failure is one error line naming its id. Exit 1 when any failed.
 */
export function sessionsRemoveCommand(
  context: RuntimeContext,
  ids: readonly string[],
  options: SessionsOptions,
): number {
  const sessions = store(context, options, true);
  const fail = (error: unknown) => {
    if (!isTaskflowError(error)) throw error;
    context.stderr.write(`taskflow: ${error.message}\n`);
  };
  const resolved = new Set<string>();
  let failed = 0;
  for (const id of ids) {
    try {
      resolved.add(sessions.resolveId(id));
    } catch (error) {
      fail(error);
      failed++;
    }
  }
  for (const id of resolved) {
    try {
      sessions.remove(id);
      context.stdout.write(`removed session ${id}\n`);
    } catch (error) {
      fail(error);
      failed++;
    }
  }
  return failed > 0 ? EXIT.failed : EXIT.ok;
}
