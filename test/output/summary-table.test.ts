import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { createPalette } from '../../src/output/ansi.js';
import { formatDuration } from '../../src/output/format.js';
import type { RunSummary, RunSummaryTask } from '../../src/output/summary-from-events.js';
import { renderSummaryTable } from '../../src/output/summary-table.js';

const palette = createPalette(false);
const COLOUR = new RegExp(`${String.fromCharCode(27)}\\[\\d+m`, 'g');

function task(index: number, name: string, extra: Partial<RunSummaryTask> = {}): RunSummaryTask {
  return {
    index,
    name,
    status: 'succeeded',
    durationMs: 1500,
    inputTokens: 1200,
    outputTokens: 340,
    retries: 0,
    ...extra,
  };
}

function summaryOf(tasks: RunSummaryTask[], extra: Partial<RunSummary> = {}): RunSummary {
  return {
    sessionId: 'ses-1',
    taskflow: 'flows.audit',
    status: 'succeeded',
    exitCode: 0,
    durationMs: 60_000,
    tasks,
    usage: { inputTokens: 0, outputTokens: 0 },
    ...extra,
  };
}

/** The display column where `needle` starts in `line` (CJK and emoji count double). */
function columnOf(line: string, needle: string): number {
  const at = line.indexOf(needle);
  expect(at, `${needle} in ${line}`).toBeGreaterThanOrEqual(0);
  return stringWidth(line.slice(0, at));
}

const WIDE_NAMES = summaryOf([
  task(0, 'scan'),
  task(1, '日本語のタスク', { status: 'failed' }),
  task(2, '🚀 deploy 🇯🇵', { status: 'skipped' }),
]);

describe('renderSummaryTable', () => {
  it('aligns columns by display width: CJK and emoji names take two columns a character', () => {
    const lines = renderSummaryTable(WIDE_NAMES, palette);
    const [header, first, second, third] = lines;
    const statusColumn = columnOf(header ?? '', 'Status');
    expect(columnOf(first ?? '', 'succeeded')).toBe(statusColumn);
    expect(columnOf(second ?? '', 'failed')).toBe(statusColumn);
    expect(columnOf(third ?? '', 'skipped')).toBe(statusColumn);
    // The rule is as wide as the widest line.
    const widths = lines.map((line) => stringWidth(line));
    expect(stringWidth(lines.at(-2) ?? '')).toBe(Math.max(...widths));
  });

  it('keeps the full layout when the width allows it', () => {
    const lines = renderSummaryTable(WIDE_NAMES, palette, { maxWidth: 120 });
    expect(lines[0]?.split(/\s{2,}/)).toEqual([
      '#',
      'Task',
      'Status',
      'Duration',
      'Tokens',
      'Retries',
    ]);
    expect(lines[1]?.split(/\s{2,}/)).toEqual([
      '1',
      'scan',
      'succeeded',
      '1.5s',
      '1,200 in / 340 out',
      '0',
    ]);
  });

  it('fits 50 columns: long names are cut with …, statuses and numbers stay whole', () => {
    const summary = summaryOf(
      [
        task(0, 'Fetch the repository and list every source file it holds', { retries: 3 }),
        task(1, 'レポジトリのすべてのファイルを確認する', {
          status: 'failed',
          inputTokens: 123_456,
          outputTokens: 7_890,
        }),
        task(2, 'summarise 📝📝📝📝📝📝📝📝📝📝📝📝', {
          status: 'interrupted',
          durationMs: 3_725_000,
        }),
      ],
      { status: 'interrupted' },
    );
    const lines = renderSummaryTable(summary, palette, { maxWidth: 50 });
    for (const line of lines) expect(stringWidth(line), line).toBeLessThanOrEqual(50);
    const text = lines.join('\n');
    expect(text).toMatch(/Fetch[^\n]*…/);
    const longest = formatDuration(3_725_000);
    for (const whole of ['succeeded', 'failed', 'interrupted', '123,456', '7,890', longest])
      expect(text).toContain(whole);
    // Nothing is dropped that has something to say: the retries are shown.
    expect(lines[1]).toMatch(/\b3$/);
  });

  it('fits 50 columns with a short layout, dropping a retries column of zeros', () => {
    const summary = summaryOf([
      task(0, 'a task with quite a long descriptive name'),
      task(1, 'another one', { status: 'failed' }),
    ]);
    const lines = renderSummaryTable(summary, palette, { maxWidth: 50 });
    for (const line of lines) expect(stringWidth(line), line).toBeLessThanOrEqual(50);
    expect(lines[0]).not.toMatch(/Retr/);
    expect(lines.join('\n')).toContain('1,200');
  });

  it('never overflows, even far below 50 columns', () => {
    for (const maxWidth of [40, 30, 20, 10]) {
      const lines = renderSummaryTable(WIDE_NAMES, palette, { maxWidth });
      for (const line of lines)
        expect(stringWidth(line), `${maxWidth}: ${line}`).toBeLessThanOrEqual(maxWidth);
    }
  });

  it('marks restored tasks and sums the rows into the total row', () => {
    const summary = summaryOf(
      [
        task(0, 'prepare', {
          restored: true,
          durationMs: 600_000,
          inputTokens: 1000,
          outputTokens: 100,
        }),
        task(1, 'skip-me', { status: 'skipped', durationMs: 2, inputTokens: 0, outputTokens: 0 }),
        task(2, 'finish', { durationMs: 2_000, inputTokens: 50, outputTokens: 5, retries: 2 }),
      ],
      // The run's own clock covers only this process; the rows cover the session.
      { durationMs: 3_000, usage: { inputTokens: 1050, outputTokens: 105 } },
    );
    const lines = renderSummaryTable(summary, palette, { maxWidth: 100 });
    expect(lines[1]?.split(/\s{2,}/)).toEqual([
      '1',
      'prepare',
      'restored',
      formatDuration(600_000),
      '1,000 in / 100 out',
      '0',
    ]);
    expect(lines[2]?.split(/\s{2,}/)).toEqual(['2', 'skip-me', 'skipped', '-', '-', '0']);
    expect(
      lines
        .at(-1)
        ?.trim()
        .split(/\s{2,}/),
    ).toEqual(['total', 'succeeded', formatDuration(602_000), '1,050 in / 105 out', '2']);
  });

  it('colours the status cells only, after measuring', () => {
    const lines = renderSummaryTable(WIDE_NAMES, createPalette(true), { maxWidth: 50 });
    const visible = lines.map((line) => line.replace(COLOUR, ''));
    for (const line of visible) expect(stringWidth(line)).toBeLessThanOrEqual(50);
    expect(lines[2]).toContain('\u001b[31mfailed');
  });
});
