/** The GitHub Actions job summary (cli.md "Output": GITHUB_STEP_SUMMARY). */
import { appendFileSync } from 'node:fs';
import { TaskflowError, errorMessage } from '../errors.js';
import { formatCount, formatDuration, formatTokens } from './format.js';
import type { RunSummary } from './summary-from-events.js';

const STATUS_ICONS: Readonly<Record<string, string>> = {
  succeeded: '✅',
  failed: '❌',
  skipped: '⏭️',
  stopped: '⏸️',
  interrupted: '⏹️',
  running: '⏳',
};

/**
 * Append the run's Markdown summary (tasks, status, durations, tokens, retries, session id)
 * to `filePath`. Earlier content (other steps, earlier runs) is kept.
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
      const cells = [
        String(task.index + 1),
        cell(task.name),
        `${icon(task.status)} ${task.status}`,
        formatDuration(task.durationMs),
        formatCount(task.inputTokens),
        formatCount(task.outputTokens),
        String(task.retries),
      ];
      lines.push(`| ${cells.join(' | ')} |`);
    }
    lines.push('');
  }
  if (summary.exitCode > 0) {
    lines.push(`Resume with: ${code(`taskflow resume ${summary.sessionId}`)}`, '');
  }
  return `${lines.join('\n')}\n`;
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
