/**
 * `--output plain`: one ISO-timestamped line per event for CI logs. Never writes ANSI
 * escapes, never animates; model text is printed once per completed message.
 */
import { assertNever } from '../errors.js';
import type { TaskflowEvent } from '../events.js';
import { MessageBuffer, type BufferedMessage } from './message-buffer.js';
import {
  describeRateLimitWait,
  describeRetry,
  formatDuration,
  formatTokens,
  isNoticeableWait,
  itemPrefix,
  messageLines,
  oneLine,
  runEndError,
} from './format.js';
import type { Reporter, ReporterOptions } from './reporter.js';
import { shownStderrLines } from './stderr-lines.js';

/**
 * Events without a line of their own: `model-request-start` and `tool-call-start` only
 * end the pending message (the retry and tool-result lines say what happened), and a
 * single-item task's `item-start`/`item-end` repeat its task lines.
 */
export function createPlainReporter(
  options: Pick<ReporterOptions, 'stdout' | 'stderr' | 'now'>,
): Reporter {
  // Written through at once (unlike jsonl): other code writes to these streams directly
  // (error reports, "Resume with"), and a CI log that merges them must keep that order.
  const { stdout, stderr } = options;
  const now = options.now ?? (() => new Date());
  const itemCounts = new Map<number, number>();
  const buffer = new MessageBuffer();
  let taskflowName = '';

  const writeLines = (stream: NodeJS.WritableStream, lines: readonly string[]): void => {
    if (lines.length === 0) return;
    const [first, ...rest] = lines;
    const continuation = rest.map((line) => `${line}\n`).join('');
    stream.write(`${now().toISOString()} ${first ?? ''}\n${continuation}`);
  };
  const line = (text: string): void => writeLines(stdout, [text]);
  const prefixOf = (taskIndex: number, itemIndex?: number): string =>
    itemPrefix(itemCounts.get(taskIndex), itemIndex);
  const print = (message: BufferedMessage | undefined): void => {
    if (message === undefined) return;
    const prefix = prefixOf(message.taskIndex, message.itemIndex);
    writeLines(stdout, messageLines(prefix, message.agent, message.text));
  };
  const flushItem = (taskIndex: number, itemIndex: number): void => {
    print(buffer.take(taskIndex, itemIndex));
  };
  const flushAll = (taskIndex?: number): void => {
    for (const message of buffer.takeAll(taskIndex)) print(message);
  };

  const render = (event: TaskflowEvent): void => {
    switch (event.type) {
      case 'taskflow-start':
        taskflowName = event.taskflow;
        line(
          `taskflow ${event.taskflow} ${event.resumed ? 'resumed' : 'started'} (session ${event.sessionId})`,
        );
        return;
      case 'task-start': {
        itemCounts.set(event.taskIndex, event.itemCount);
        const items = event.itemCount === 1 ? '' : ` (${event.itemCount} items)`;
        line(`task ${event.taskIndex + 1} ${event.taskName} started${items}`);
        return;
      }
      case 'item-start': {
        const prefix = prefixOf(event.taskIndex, event.itemIndex);
        if (prefix === '') return;
        line(`${prefix}started${event.label ? `: ${oneLine(event.label)}` : ''}`);
        return;
      }
      case 'item-end': {
        flushItem(event.taskIndex, event.itemIndex);
        const prefix = prefixOf(event.taskIndex, event.itemIndex);
        if (prefix === '' && event.status === 'succeeded') return;
        const error = event.error === undefined ? '' : `: ${oneLine(event.error)}`;
        line(`${prefix === '' ? 'item ' : prefix}${event.status}${error}`);
        return;
      }
      case 'model-request-start':
      case 'tool-call-start':
        flushItem(event.taskIndex, event.itemIndex);
        return;
      case 'model-retry':
        // The turn is re-requested from scratch: its partial text would be printed twice.
        buffer.discard(event.taskIndex, event.itemIndex);
        line(`${prefixOf(event.taskIndex, event.itemIndex)}${describeRetry(event)}`);
        return;
      case 'rate-limit-wait':
        // Short waits are the pacer doing its job; the summary reports their total.
        if (isNoticeableWait(event))
          line(
            `${prefixOf(event.taskIndex, event.itemIndex)}paced: ${describeRateLimitWait(event)}`,
          );
        return;
      case 'text-delta':
        buffer.append(event.taskIndex, event.itemIndex, event.agent, event.text);
        return;
      case 'tool-call-end': {
        const prefix = prefixOf(event.taskIndex, event.itemIndex);
        const preview =
          event.status !== 'ok' && event.resultPreview ? `: ${oneLine(event.resultPreview)}` : '';
        line(
          `${prefix}tool ${event.toolbox}.${event.tool} ${event.status} (${formatDuration(event.durationMs)})${preview}`,
        );
        return;
      }
      case 'handoff':
        flushItem(event.taskIndex, event.itemIndex);
        line(`${prefixOf(event.taskIndex, event.itemIndex)}handoff ${event.from} -> ${event.to}`);
        return;
      case 'warning': {
        const prefix =
          event.taskIndex === undefined ? '' : prefixOf(event.taskIndex, event.itemIndex);
        writeLines(stderr, [`${prefix}warning: ${oneLine(event.message, 1000)}`]);
        return;
      }
      case 'task-end': {
        flushAll(event.taskIndex);
        const task = `task ${event.taskIndex + 1} ${event.taskName}`;
        if (event.restored === true) {
          line(`${task} restored (${event.status} in an earlier run)`);
          return;
        }
        const head = `${task} ${event.status}`;
        const error = event.error === undefined ? '' : `: ${oneLine(event.error)}`;
        // A failed shell task's stderr follows its line, unstamped, so a CI log shows why.
        const stderr = shownStderrLines(event.stderr).map((text) => `  stderr: ${text}`);
        if (event.status === 'skipped') {
          writeLines(stdout, [`${head}${error}`, ...stderr]);
          return;
        }
        writeLines(stdout, [
          `${head} in ${formatDuration(event.durationMs)} (${formatTokens(event.usage)})${error}`,
          ...stderr,
        ]);
        return;
      }
      case 'taskflow-end': {
        flushAll();
        const name = taskflowName === '' ? '' : ` ${taskflowName}`;
        const runError = runEndError(event);
        const error = runError === undefined ? '' : `: ${oneLine(runError)}`;
        line(
          `taskflow${name} ${event.status} in ${formatDuration(event.durationMs)} ` +
            `(${formatTokens(event.usage)}), exit code ${event.exitCode}${error}`,
        );
        return;
      }
      default:
        assertNever(event, 'event');
    }
  };

  let closed = false;
  return {
    onEvent: render,
    info: (message) => {
      stdout.write(`${message}\n`);
    },
    warn: (message) => {
      writeLines(stderr, [`warning: ${message}`]);
    },
    close: () => {
      if (closed) return;
      closed = true;
      flushAll();
    },
    pause: () => {},
    resume: () => {},
  };
}
