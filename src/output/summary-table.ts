/**
 * The end-of-run table of tty mode (tasks, status, duration, tokens, retries), laid out by
 * display width (CJK and emoji take two columns) to fit the terminal.
 */
import stringWidth from 'string-width';
import type { Paint, Palette } from './ansi.js';
import { formatCount, formatDuration, formatTokens, sanitizeText } from './format.js';
import type { RunSummary, RunSummaryTask } from './summary-from-events.js';

export interface SummaryTableOptions {
  /** Terminal columns the lines must fit; undefined: no limit (not a terminal). */
  readonly maxWidth?: number;
}

/** One row's values before they are written into cells. */
interface RowValues {
  readonly number: string;
  readonly task: string;
  readonly status: string;
  /** Undefined for skipped rows: nothing ran, the cells show `-`. */
  readonly durationMs?: number;
  readonly usage?: { inputTokens: number; outputTokens: number };
  readonly retries: number;
}

interface Column {
  readonly title: string;
  /** The title in the compact layouts. */
  readonly shortTitle: string;
  readonly alignRight: boolean;
  readonly cell: (row: RowValues, compact: boolean) => string;
}

const TASK_COLUMN = 1;
const STATUS_COLUMN = 2;
const RETRIES_COLUMN = 5;

const COLUMNS: readonly Column[] = [
  { title: '#', shortTitle: '#', alignRight: true, cell: (row) => row.number },
  { title: 'Task', shortTitle: 'Task', alignRight: false, cell: (row) => row.task },
  { title: 'Status', shortTitle: 'Status', alignRight: false, cell: (row) => row.status },
  {
    title: 'Duration',
    shortTitle: 'Time',
    alignRight: true,
    cell: (row) => (row.durationMs === undefined ? '-' : formatDuration(row.durationMs)),
  },
  {
    title: 'Tokens',
    shortTitle: 'In/out',
    alignRight: true,
    cell: (row, compact) => {
      if (row.usage === undefined) return '-';
      if (!compact) return formatTokens(row.usage);
      return `${formatCount(row.usage.inputTokens)}/${formatCount(row.usage.outputTokens)}`;
    },
  },
  { title: 'Retries', shortTitle: 'Retry', alignRight: true, cell: (row) => String(row.retries) },
];

/**
 * Layouts from roomiest to tightest; the first whose Task column can keep at least
 * `taskFloor` columns (or its whole longest name) is used. Statuses and numbers are never
 * cut: only task names are, with `…`.
 */
const LAYOUTS = [
  { compact: false, dropZeroRetries: false, gap: 2, taskFloor: 24 },
  { compact: true, dropZeroRetries: false, gap: 2, taskFloor: 16 },
  { compact: true, dropZeroRetries: true, gap: 2, taskFloor: 12 },
  { compact: true, dropZeroRetries: true, gap: 1, taskFloor: 8 },
  { compact: true, dropZeroRetries: true, gap: 1, taskFloor: 5 },
] as const;

type Layout = (typeof LAYOUTS)[number];

/** Colour for a task or run status (the run's stopped/interrupted are warnings). */
export function statusPaint(status: string, palette: Palette): Paint {
  if (status === 'succeeded') return palette.green;
  if (status === 'failed') return palette.red;
  if (status === 'stopped' || status === 'interrupted') return palette.yellow;
  return palette.dim;
}

/**
 * Table lines without trailing newlines, each at most `maxWidth` display columns. A task
 * restored by a resume shows `restored`. The total row sums the rows (restored tasks
 * included), so it always adds up; the run's own wall-clock time is the caller's to show.
 */
export function renderSummaryTable(
  summary: RunSummary,
  palette: Palette,
  options: SummaryTableOptions = {},
): string[] {
  const rows = summary.tasks.map(rowOf);
  const total: RowValues = {
    number: '',
    task: 'total',
    status: summary.status,
    durationMs: sum(rows, (row) => row.durationMs ?? 0),
    usage: {
      inputTokens: sum(rows, (row) => row.usage?.inputTokens ?? 0),
      outputTokens: sum(rows, (row) => row.usage?.outputTokens ?? 0),
    },
    retries: sum(rows, (row) => row.retries),
  };
  const maxWidth = options.maxWidth ?? Number.POSITIVE_INFINITY;
  const fitted = LAYOUTS.map((layout) => planTable(layout, rows, total, maxWidth)).find(
    (plan) => plan.fits,
  );
  const plan = fitted ?? planTable(LAYOUTS[LAYOUTS.length - 1]!, rows, total, maxWidth);
  return plan.render(palette, maxWidth);
}

function rowOf(task: RunSummaryTask): RowValues {
  const ran = task.status !== 'skipped';
  return {
    number: String(task.index + 1),
    task: oneLine(task.name),
    status: task.restored === true && task.status === 'succeeded' ? 'restored' : task.status,
    ...(ran && {
      durationMs: task.durationMs,
      usage: { inputTokens: task.inputTokens, outputTokens: task.outputTokens },
    }),
    retries: task.retries,
  };
}

interface TablePlan {
  /** The lines fit `maxWidth` without cutting anything but task names. */
  readonly fits: boolean;
  render(palette: Palette, maxWidth: number): string[];
}

function planTable(
  layout: Layout,
  rows: readonly RowValues[],
  total: RowValues,
  maxWidth: number,
): TablePlan {
  const dropRetries = layout.dropZeroRetries && total.retries === 0;
  const columns = COLUMNS.map((column, index) => ({ column, index })).filter(
    ({ index }) => !(dropRetries && index === RETRIES_COLUMN),
  );
  const header = columns.map(({ column }) => (layout.compact ? column.shortTitle : column.title));
  const body = [...rows, total].map((row) =>
    columns.map(({ column }) => column.cell(row, layout.compact)),
  );
  const widths = columns.map((_, position) =>
    Math.max(...[header, ...body].map((cells) => stringWidth(cells[position] ?? ''))),
  );
  const taskPosition = columns.findIndex(({ index }) => index === TASK_COLUMN);
  const statusPosition = columns.findIndex(({ index }) => index === STATUS_COLUMN);
  const taskNatural = widths[taskPosition] ?? 0;
  const others = widths.reduce((all, width) => all + width, 0) - taskNatural;
  const available = maxWidth - others - layout.gap * (widths.length - 1);
  const fits = available >= Math.min(taskNatural, layout.taskFloor);
  widths[taskPosition] = Math.max(Math.min(taskNatural, available), Math.min(taskNatural, 4));

  const format = (cells: readonly string[], paintStatus: Paint | undefined): string => {
    const text = cells.map((value, position) => {
      const width = widths[position] ?? 0;
      const cell = position === taskPosition ? truncate(value, width) : value;
      const padding = ' '.repeat(Math.max(0, width - stringWidth(cell)));
      const aligned = columns[position]?.column.alignRight ? padding + cell : cell + padding;
      return position === statusPosition && paintStatus ? paintStatus(aligned) : aligned;
    });
    return text.join(' '.repeat(layout.gap)).trimEnd();
  };
  const tableWidth =
    widths.reduce((all, width) => all + width, 0) + layout.gap * (widths.length - 1);

  return {
    fits,
    render: (palette, limit) => {
      // Past the tightest layout only cutting whole lines keeps the terminal tidy; colour
      // would be cut mid-sequence, so such lines stay plain.
      const clip = (line: string, paint: Paint): string =>
        fits ? paint(line) : truncate(line, limit);
      const paintOf = (status: string): Paint | undefined =>
        fits ? statusPaint(status, palette) : undefined;
      return [
        clip(format(header, undefined), palette.bold),
        ...body
          .slice(0, -1)
          .map((cells, row) => clip(format(cells, paintOf(rows[row]?.status ?? '')), plain)),
        clip('─'.repeat(tableWidth), palette.dim),
        clip(format(body.at(-1) ?? [], paintOf(total.status)), plain),
      ];
    },
  };
}

const plain: Paint = (text) => text;

function sum(rows: readonly RowValues[], value: (row: RowValues) => number): number {
  return rows.reduce((all, row) => all + value(row), 0);
}

/** A task name on one line, without escape sequences. */
function oneLine(text: string): string {
  return sanitizeText(text)
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}

let graphemes: Intl.Segmenter | undefined;

/** `text` within `width` display columns; `…` marks a cut (whole graphemes only). */
function truncate(text: string, width: number): string {
  if (stringWidth(text) <= width) return text;
  if (width <= 0) return '';
  graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  let kept = '';
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const size = stringWidth(segment);
    if (used + size > width - 1) break;
    kept += segment;
    used += size;
  }
  return `${kept}…`;
}
