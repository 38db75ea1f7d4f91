import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { answerOutput } from '../../src/cli/answer-output.js';
import type { TaskflowEvent } from '../../src/events.js';
import type { Reporter } from '../../src/output/index.js';

/** `ask`'s split of stdout (the answer) from the reporter (everything else, on stderr). */

function recordingReporter(calls: string[]): Reporter {
  return {
    onEvent: (event) => calls.push(`event ${event.type}`),
    info: (message) => calls.push(`info ${message}`),
    warn: (message) => calls.push(`warn ${message}`),
    close: () => calls.push('close'),
    pause: () => calls.push('pause'),
    resume: () => calls.push('resume'),
  };
}

function collect(stream: PassThrough): () => string {
  let text = '';
  stream.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  return () => text;
}

const at = { taskIndex: 0, itemIndex: 0, timestamp: '2026-01-01T00:00:00.000Z' };
const delta = (text: string): TaskflowEvent => ({
  type: 'text-delta',
  text,
  agent: 'assistant',
  ...at,
});
const toolStart: TaskflowEvent = {
  type: 'tool-call-start',
  toolbox: 'echo',
  tool: 'echo_tool',
  callId: 'c1',
  arguments: '{}',
  ...at,
};

describe('answerOutput', () => {
  it('off a terminal: the reporter never sees model text; stdout gets the final answer once', () => {
    const calls: string[] = [];
    const stdout = new PassThrough();
    const written = collect(stdout);
    const output = answerOutput(recordingReporter(calls), stdout, { live: false });
    output.reporter.onEvent(delta('Let me check.'));
    output.reporter.onEvent(toolStart);
    output.reporter.onEvent(delta('The answer'));
    output.reporter.close();
    output.finish('The answer');
    expect(calls).toEqual(['event tool-call-start', 'close']);
    expect(written()).toBe('The answer\n');
  });

  it('on a terminal: text streams to stdout with the spinner paused, lines closed before other output', () => {
    const calls: string[] = [];
    const stdout = new PassThrough();
    const written = collect(stdout);
    const output = answerOutput(recordingReporter(calls), stdout, { live: true });
    output.reporter.onEvent(delta('Let me '));
    output.reporter.onEvent(delta('check.'));
    output.reporter.onEvent(toolStart);
    output.reporter.onEvent(delta('\u001b[31mDone\u001b[0m.\n'));
    output.reporter.warn('careful');
    output.reporter.onEvent(delta('Bye'));
    output.reporter.close();
    output.finish('Bye');
    expect(calls).toEqual([
      'pause',
      'resume',
      'event tool-call-start',
      'pause',
      'resume',
      'warn careful',
      'pause',
      'resume',
      'close',
    ]);
    // Escape sequences from the model are not passed to the terminal.
    expect(written()).toBe('Let me check.\nDone.\nBye\n');
  });

  it('an empty final answer prints nothing', () => {
    const stdout = new PassThrough();
    const written = collect(stdout);
    const output = answerOutput(recordingReporter([]), stdout, { live: false });
    output.finish('');
    expect(written()).toBe('');
  });
});
