/**
 * `--output tty`: a spinner while waiting, model text streamed as it arrives, a line per
 * tool call, retry notices, and a summary table at the end. Colour only when `color`.
 *
 * Single-item tasks stream text live; items of a multi-item task run concurrently, so
 * their text is buffered per item and printed whole with an `[item N]` prefix.
 */
import { assertNever } from '../errors.js';
import type { TaskflowEvent } from '../events.js';
import { ActivitySpinner } from './activity-spinner.js';
import { createPalette } from './ansi.js';
import {
  describeErrorClass,
  describeRateLimitWait,
  describeRetry,
  describeWaiting,
  formatDuration,
  formatTokens,
  formatWait,
  isNoticeableWait,
  itemPrefix,
  messageLines,
  oneLine,
  runEndError,
  sanitizeText,
} from './format.js';
import { MessageBuffer, type BufferedMessage } from './message-buffer.js';
import { shownStderrLines } from './stderr-lines.js';
import type { Reporter, ReporterOptions } from './reporter.js';
import { summaryFromEvents } from './summary-from-events.js';
import { renderSummaryTable, statusPaint } from './summary-table.js';

export function createTtyReporter(
  options: Pick<ReporterOptions, 'stdout' | 'stderr' | 'color' | 'spinner'>,
): Reporter {
  const { stdout, stderr } = options;
  const palette = createPalette(options.color);
  const itemCounts = new Map<number, number>();
  const buffer = new MessageBuffer();
  const collector = summaryFromEvents();
  let atLineStart = true;
  /** `taskIndex.itemIndex` whose partial message is on screen. */
  let streaming: string | undefined;
  let taskflowName = '';
  let closed = false;

  const endLine = (): void => {
    if (atLineStart) return;
    stdout.write('\n');
    atLineStart = true;
  };
  const writeLines = (stream: NodeJS.WritableStream, lines: readonly string[]): void => {
    if (lines.length === 0) return;
    spinner.around(() => {
      endLine();
      stream.write(lines.map((line) => `${line}\n`).join(''));
    });
  };
  const spinner = new ActivitySpinner({
    enabled: options.spinner,
    stream: stderr,
    color: options.color,
    canShow: () => atLineStart,
    writeStatus: (label) => writeLines(stderr, [palette.dim(`… ${label}`)]),
    dim: palette.dim,
  });
  const writePartial = (text: string): void => {
    // Hide the spinner first: stopping it later would move the cursor to column 0 and
    // the next write would overwrite the partial line.
    atLineStart = false;
    spinner.refresh();
    stdout.write(text);
    atLineStart = text.endsWith('\n');
    if (atLineStart) spinner.refresh();
  };

  const keyOf = (taskIndex: number, itemIndex: number): string => `${taskIndex}.${itemIndex}`;
  const prefixOf = (taskIndex: number, itemIndex?: number): string =>
    itemPrefix(itemCounts.get(taskIndex), itemIndex);
  const streamsLive = (taskIndex: number): boolean => (itemCounts.get(taskIndex) ?? 1) <= 1;
  const endStream = (keyPrefix: string): void => {
    if (streaming === undefined || !`${streaming}.`.startsWith(keyPrefix)) return;
    streaming = undefined;
    endLine();
    spinner.refresh();
  };
  const print = (message: BufferedMessage | undefined): void => {
    if (message === undefined) return;
    const prefix = prefixOf(message.taskIndex, message.itemIndex);
    writeLines(stdout, messageLines(prefix, message.agent, message.text));
  };
  const finishItemText = (taskIndex: number, itemIndex: number): void => {
    endStream(`${keyOf(taskIndex, itemIndex)}.`);
    print(buffer.take(taskIndex, itemIndex));
  };
  const finishAllText = (taskIndex?: number): void => {
    endStream(taskIndex === undefined ? '' : `${taskIndex}.`);
    for (const message of buffer.takeAll(taskIndex)) print(message);
  };
  const line = (text: string): void => writeLines(stdout, [text]);
  /** The terminal's width when stdout is one (read when needed: windows get resized). */
  const terminalColumns = (): number | undefined => {
    const columns = (stdout as Partial<Pick<NodeJS.WriteStream, 'columns'>>).columns;
    return typeof columns === 'number' && columns > 0 ? columns : undefined;
  };

  const render = (event: TaskflowEvent): void => {
    switch (event.type) {
      case 'taskflow-start':
        taskflowName = event.taskflow;
        line(
          palette.bold(`taskflow ${event.taskflow}`) +
            palette.dim(event.resumed ? ' (resumed)' : ''),
        );
        return;
      case 'task-start': {
        itemCounts.set(event.taskIndex, event.itemCount);
        const items = event.itemCount === 1 ? '' : ` (${event.itemCount} items)`;
        writeLines(stdout, [
          '',
          palette.bold(`▶ Task ${event.taskIndex + 1}: ${event.taskName}`) + palette.dim(items),
        ]);
        return;
      }
      case 'item-start': {
        const prefix = prefixOf(event.taskIndex, event.itemIndex);
        if (prefix !== '')
          line(palette.dim(`${prefix}started${event.label ? `: ${oneLine(event.label)}` : ''}`));
        return;
      }
      case 'item-end': {
        spinner.stopMatching(`${keyOf(event.taskIndex, event.itemIndex)}.`);
        finishItemText(event.taskIndex, event.itemIndex);
        const prefix = prefixOf(event.taskIndex, event.itemIndex);
        if (prefix === '') return;
        const error = event.error === undefined ? '' : `: ${oneLine(event.error)}`;
        const mark =
          event.status === 'succeeded' ? palette.green('✔ done') : palette.red('✖ failed');
        line(`${prefix}${mark}${error}`);
        return;
      }
      case 'model-request-start': {
        finishItemText(event.taskIndex, event.itemIndex);
        const attempt = event.attempt > 1 ? ` (attempt ${event.attempt})` : '';
        const label = `${prefixOf(event.taskIndex, event.itemIndex)}waiting for ${event.model}${attempt}`;
        spinner.start(`${keyOf(event.taskIndex, event.itemIndex)}.model`, label);
        return;
      }
      case 'model-retry': {
        const key = keyOf(event.taskIndex, event.itemIndex);
        const prefix = prefixOf(event.taskIndex, event.itemIndex);
        if (streaming === key) {
          endStream(`${key}.`);
          line(palette.yellow('(retrying)'));
        }
        buffer.discard(event.taskIndex, event.itemIndex);
        line(palette.yellow(`${prefix}↻ ${describeRetry(event)}`));
        const why = describeErrorClass(event.errorClass, event.status);
        spinner.start(
          `${key}.model`,
          `${prefix}${why}: retrying in ${formatWait(event.delayMs)}`,
          true,
        );
        return;
      }
      case 'rate-limit-wait': {
        const key = keyOf(event.taskIndex, event.itemIndex);
        const prefix = prefixOf(event.taskIndex, event.itemIndex);
        const label = `${prefix}paced: ${describeRateLimitWait(event)}`;
        spinner.start(`${key}.model`, label, !isNoticeableWait(event));
        return;
      }
      case 'text-delta': {
        const key = keyOf(event.taskIndex, event.itemIndex);
        spinner.stop(`${key}.model`);
        if (!streamsLive(event.taskIndex)) {
          buffer.append(event.taskIndex, event.itemIndex, event.agent, event.text);
          return;
        }
        let text = sanitizeText(event.text);
        if (streaming !== key) {
          text = text.trimStart();
          if (text === '') return;
          endStream('');
          streaming = key;
        }
        if (text !== '') writePartial(text);
        return;
      }
      case 'tool-call-start': {
        finishItemText(event.taskIndex, event.itemIndex);
        const key = keyOf(event.taskIndex, event.itemIndex);
        const label = `${prefixOf(event.taskIndex, event.itemIndex)}running ${event.toolbox}.${event.tool}`;
        // The model turn is over (a reply without text never stopped its activity).
        spinner.replace(`${key}.model`, `${key}.tool.${event.callId}`, label);
        return;
      }
      case 'tool-call-end': {
        spinner.stop(`${keyOf(event.taskIndex, event.itemIndex)}.tool.${event.callId}`);
        const ok = event.status === 'ok';
        const mark = ok
          ? palette.green('✔')
          : event.status === 'denied'
            ? palette.yellow('✖')
            : palette.red('✖');
        const status = ok ? '' : ` ${event.status}`;
        const preview = !ok && event.resultPreview ? `: ${oneLine(event.resultPreview)}` : '';
        const duration = palette.dim(`(${formatDuration(event.durationMs)})`);
        line(
          `${prefixOf(event.taskIndex, event.itemIndex)}${mark} ${event.toolbox}.${event.tool}${status} ${duration}${preview}`,
        );
        return;
      }
      case 'handoff':
        finishItemText(event.taskIndex, event.itemIndex);
        line(
          palette.dim(
            `${prefixOf(event.taskIndex, event.itemIndex)}→ handoff ${event.from} → ${event.to}`,
          ),
        );
        return;
      case 'warning': {
        const prefix =
          event.taskIndex === undefined ? '' : prefixOf(event.taskIndex, event.itemIndex);
        writeLines(stderr, [palette.yellow(`${prefix}warning: ${oneLine(event.message, 1000)}`)]);
        return;
      }
      case 'task-end': {
        spinner.stopMatching(`${event.taskIndex}.`);
        finishAllText(event.taskIndex);
        const name = `Task ${event.taskIndex + 1} ${event.taskName}`;
        const error = [
          ...(event.error === undefined ? [] : [palette.red(`  ${oneLine(event.error)}`)]),
          ...shownStderrLines(event.stderr).map((text) => palette.dim(`  │ ${text}`)),
        ];
        if (event.restored === true && event.status === 'succeeded') {
          const facts = `${formatDuration(event.durationMs)} · ${formatTokens(event.usage)}`;
          writeLines(stdout, [palette.dim(`↺ ${name} restored from an earlier run · ${facts}`)]);
          return;
        }
        if (event.status === 'skipped') {
          writeLines(stdout, [palette.dim(`- ${name} skipped`), ...error]);
          return;
        }
        const mark = event.status === 'succeeded' ? palette.green('✔') : palette.red('✖');
        const facts = palette.dim(
          `${formatDuration(event.durationMs)} · ${formatTokens(event.usage)}`,
        );
        writeLines(stdout, [
          `${mark} ${name} ${statusPaint(event.status, palette)(event.status)} ${facts}`,
          ...error,
        ]);
        return;
      }
      case 'taskflow-end': {
        spinner.stopMatching('');
        finishAllText();
        const summary = collector.summary();
        const table =
          summary === undefined
            ? []
            : ['', ...renderSummaryTable(summary, palette, { maxWidth: terminalColumns() })];
        if (summary?.waiting !== undefined)
          table.push(palette.dim(describeWaiting(summary.waiting)));
        const paint = statusPaint(event.status, palette);
        const mark = event.status === 'succeeded' ? '✔' : event.status === 'failed' ? '✖' : '■';
        const exit = event.exitCode === 0 ? '' : ` · exit code ${event.exitCode}`;
        const facts = `in ${formatDuration(event.durationMs)} · ${formatTokens(event.usage)}${exit}`;
        const runError = runEndError(event);
        const error = runError === undefined ? [] : [palette.red(oneLine(runError, 1000))];
        const name = taskflowName === '' ? 'taskflow' : `taskflow ${taskflowName}`;
        writeLines(stdout, [
          ...table,
          '',
          `${paint(`${mark} ${name} ${event.status}`)} ${palette.dim(facts)}`,
          ...error,
        ]);
        return;
      }
      default:
        assertNever(event, 'event');
    }
  };

  return {
    onEvent: (event) => {
      collector.onEvent(event);
      render(event);
    },
    info: (message) => line(message),
    warn: (message) => writeLines(stderr, [palette.yellow(`warning: ${message}`)]),
    close: () => {
      if (closed) return;
      closed = true;
      spinner.close();
      finishAllText();
      endLine();
    },
    pause: () => {
      spinner.pause();
      endLine();
    },
    resume: () => spinner.resume(),
  };
}
