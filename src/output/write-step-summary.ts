/** The GitHub Actions job summary (cli.md "Output": GITHUB_STEP_SUMMARY). */
import { appendFileSync } from 'node:fs';
import { TaskflowError, errorMessage } from '../errors.js';
import {
  describeWaiting,
  formatCount,
  formatDuration,
  formatTokens,
  runEndError,
  sanitizeText,
} from './format.js';
import { shownStderrLines } from './stderr-lines.js';
import type { RunSummary, RunSummaryTask } from './summary-from-events.js';

const STATUS_ICONS: Readonly<Record<string, string>> = {
  succeeded: '✅',
  failed: '❌',
  skipped: '⏭️',
  stopped: '⏸️',
  interrupted: '⏹️',
  running: '⏳',
  restored: '♻️',
};

/**
 * Append the run's Markdown summary (tasks, status, durations, tokens, retries, session id,
 * and the errors of failed tasks and of the run) to `filePath`. Earlier content (other steps, earlier runs) is kept.
 * @throws TaskflowError `io` when the file cannot be written.
 */
export function writeStepSummary(filePath: string, summary: RunSummary): void {
  try {
    appendFileSync(filePath, renderStepSummary(summary), 'utf8');
  } catch (error) {
    throw new TaskflowError(
      'io',
      `${filePath}: cannot append the step summary: ${errorMessage(error)}`,
      { cause: error, filePath },
    );
  }
}

/** The Markdown block `writeStepSummary` appends; ends with a blank line. */
export function renderStepSummary(summary: RunSummary): string {
  const retries = summary.tasks.reduce((sum, task) => sum + task.retries, 0);
  const facts = [
    `session ${code(summary.sessionId)}`,
    `exit code ${summary.exitCode}`,
    formatDuration(summary.durationMs),
    `${formatTokens(summary.usage)} tokens`,
    `${retries} ${retries === 1 ? 'retry' : 'retries'}`,
    ...(summary.waiting === undefined ? [] : [describeWaiting(summary.waiting)]),
  ];
  const lines = [
    `### ${icon(summary.status)} taskflow ${code(summary.taskflow)}: ${summary.status}`,
    '',
    facts.join(' · '),
    '',
  ];
  if (summary.tasks.length > 0) {
    lines.push(
      '| # | Task | Status | Duration | Input tokens | Output tokens | Retries |',
      '|---:|---|---|---:|---:|---:|---:|',
    );
    for (const task of summary.tasks) {
      const status =
        task.restored === true && task.status === 'succeeded' ? 'restored' : task.status;
      const ran = task.status !== 'skipped';
      const cells = [
        String(task.index + 1),
        cell(task.name),
        `${icon(status)} ${status}`,
        ran ? formatDuration(task.durationMs) : '-',
        ran ? formatCount(task.inputTokens) : '-',
        ran ? formatCount(task.outputTokens) : '-',
        String(task.retries),
      ];
      lines.push(`| ${cells.join(' | ')} |`);
    }
    lines.push(totalRow(summary), '');
  }
  lines.push(...errorLines(summary));
  if (summary.exitCode > 0) {
    lines.push(`Resume with: ${code(`taskflow resume ${summary.sessionId}`)}`, '');
  }
  return `${lines.join('\n')}\n`;
}

/** The rows summed (skipped rows count nothing), so the table adds up. */
function totalRow(summary: RunSummary): string {
  const ran = summary.tasks.filter((task) => task.status !== 'skipped');
  const total = (value: (task: RunSummaryTask) => number): number =>
    ran.reduce((sum, task) => sum + value(task), 0);
  const cells = [
    '**total**',
    `${icon(summary.status)} ${summary.status}`,
    formatDuration(total((task) => task.durationMs)),
    formatCount(total((task) => task.inputTokens)),
    formatCount(total((task) => task.outputTokens)),
    String(summary.tasks.reduce((sum, task) => sum + task.retries, 0)),
  ];
  // The # cell stays empty.
  return `| | ${cells.join(' | ')} |`;
}

/**
 * Each failed task's error (its first line in code, further lines and a shell task's stderr
 * in a fenced block), then the run's error; nothing for an interrupted run (its status says it).
 */
function errorLines(summary: RunSummary): string[] {
  const lines: string[] = [];
  const explain = (title: string, error: string | undefined, stderr?: readonly string[]) => {
    const [first = '', ...more] = sanitizeText(error ?? '')
      .trim()
      .split('\n');
    lines.push(`${title} ${code(first)}`, '');
    const block = [...shownStderrLines(more), ...shownStderrLines(stderr)];
    if (block.length > 0) lines.push(...fenced(block), '');
  };
  for (const task of summary.tasks) {
    if (task.status !== 'failed' || task.error === undefined) continue;
    explain(`**Task ${task.index + 1} · ${cell(task.name)}** failed:`, task.error, task.stderr);
  }
  const runError = runEndError(summary);
  if (summary.status !== 'succeeded' && runError !== undefined)
    explain(`**The run ${summary.status}:**`, runError);
  return lines;
}

/** A fenced code block that no backtick run inside can close early. */
function fenced(lines: readonly string[]): string[] {
  const longestRun = Math.max(
    0,
    ...lines.flatMap((line) => (line.match(/`+/g) ?? []).map((run) => run.length)),
  );
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  return [`${fence}text`, ...lines, fence];
}

function icon(status: string): string {
  return STATUS_ICONS[status] ?? '•';
}

/** A table cell: pipes escaped, one line. */
function cell(text: string): string {
  return text
    .replaceAll('\\', '\\\\')
    .replaceAll('|', '\\|')
    .replace(/\s*\r?\n\s*/g, ' ');
}

/** An inline code span that survives backticks inside the text. */
function code(text: string): string {
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  const padded = longestRun > 0 ? ` ${text} ` : text;
  return `${fence}${padded}${fence}`;
}
