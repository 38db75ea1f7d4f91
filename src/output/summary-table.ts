/** The end-of-run table of tty mode (tasks, status, duration, tokens, retries). */
import type { Paint, Palette } from './ansi.js';
import { formatDuration, formatTokens } from './format.js';
import type { RunSummary } from './summary-from-events.js';

interface Column {
  readonly title: string;
  readonly alignRight: boolean;
}

const COLUMNS: readonly Column[] = [
  { title: '#', alignRight: true },
  { title: 'Task', alignRight: false },
  { title: 'Status', alignRight: false },
  { title: 'Duration', alignRight: true },
  { title: 'Tokens', alignRight: true },
  { title: 'Retries', alignRight: true },
];

/** Colour for a task or run status (the run's stopped/interrupted are warnings). */
export function statusPaint(status: string, palette: Palette): Paint {
  if (status === 'succeeded') return palette.green;
  if (status === 'failed') return palette.red;
  if (status === 'stopped' || status === 'interrupted') return palette.yellow;
  return palette.dim;
}

/** Table lines without trailing newlines; widths are measured before colouring. */
export function renderSummaryTable(summary: RunSummary, palette: Palette): string[] {
  const rows = summary.tasks.map((task) => [
    String(task.index + 1),
    task.name,
    task.status,
    task.status === 'skipped' ? '-' : formatDuration(task.durationMs),
    task.status === 'skipped' ? '-' : formatTokens(task),
    String(task.retries),
  ]);
  const retries = summary.tasks.reduce((sum, task) => sum + task.retries, 0);
  const total = [
    '',
    'total',
    summary.status,
    formatDuration(summary.durationMs),
    formatTokens(summary.usage),
    String(retries),
  ];
  const header = COLUMNS.map((column) => column.title);
  const widths = COLUMNS.map((_, index) =>
    Math.max(...[header, ...rows, total].map((row) => (row[index] ?? '').length)),
  );
  const format = (row: readonly string[], statusColumnPaint: boolean): string =>
    COLUMNS.map((column, index) => {
      const value = row[index] ?? '';
      const width = widths[index] ?? 0;
      const padded = column.alignRight ? value.padStart(width) : value.padEnd(width);
      return index === 2 && statusColumnPaint ? statusPaint(value, palette)(padded) : padded;
    })
      .join('  ')
      .trimEnd();
  const rule = '─'.repeat(widths.reduce((sum, width) => sum + width, 0) + 2 * (widths.length - 1));
  return [
    palette.bold(format(header, false)),
    ...rows.map((row) => format(row, true)),
    palette.dim(rule),
    format(total, true),
  ];
}
