import { describe, expect, it } from 'vitest';
import {
  MAX_LOGGED_OUTPUT_BYTES,
  MAX_OUTPUT_LINE_CHARS,
  OutputLineCollector,
} from '../../src/toolbox/output-line-collector.js';

describe('OutputLineCollector', () => {
  it('splits chunks into lines, strips CR, skips blank lines and keeps a bounded tail', () => {
    const lines: string[] = [];
    const collector = new OutputLineCollector((line) => lines.push(line), 3);
    collector.write('one\r\ntw');
    collector.write(Buffer.from('o\n\n  \nthree\nfour\nfi'));
    expect(lines).toEqual(['one', 'two', 'three', 'four']);
    expect(collector.tail()).toEqual(['three', 'four', 'fi']);
    collector.write('ve');
    collector.flush();
    expect(lines.at(-1)).toBe('five');
    expect(collector.tail()).toEqual(['three', 'four', 'five']);
  });

  it('cuts overlong lines, also when no newline ever comes', () => {
    const lines: string[] = [];
    const collector = new OutputLineCollector((line) => lines.push(line));
    collector.write('x'.repeat(MAX_OUTPUT_LINE_CHARS + 500));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toHaveLength(MAX_OUTPUT_LINE_CHARS + 1);
    expect(lines[0]?.endsWith('…')).toBe(true);
  });

  it('logs up to maxLoggedBytes, then counts the rest, keeps the tail and reports at the end', () => {
    const lines: string[] = [];
    const collector = new OutputLineCollector((line) => lines.push(line), 3, {
      maxLoggedBytes: 10,
    });
    collector.write('aaaa\nbbbb\ncccc\ndddd\nee');
    collector.write('e\n');
    expect(lines).toEqual([
      'aaaa',
      'bbbb',
      'cccc',
      'stderr passed 10 bytes; later lines are counted, not logged (the last 3 are kept for error messages)',
    ]);
    expect(collector.tail()).toEqual(['cccc', 'dddd', 'eee']);
    collector.write('ffff');
    collector.flush();
    expect(lines.slice(4)).toEqual(['3 stderr lines (11 bytes) were not logged']);
    expect(collector.tail()).toEqual(['dddd', 'eee', 'ffff']);
  });

  it('names captured stdout "output" and formats the default limit in MB', () => {
    const lines: string[] = [];
    const collector = new OutputLineCollector((line) => lines.push(line), 20, {
      streamName: 'output',
    });
    const line = 'z'.repeat(MAX_OUTPUT_LINE_CHARS);
    const count = Math.ceil(MAX_LOGGED_OUTPUT_BYTES / MAX_OUTPUT_LINE_CHARS) + 5;
    for (let index = 0; index < count; index += 1) collector.write(`${line}\n`);
    collector.flush();
    expect(lines).toContain(
      'output passed 1 MB; later lines are counted, not logged (the last 20 are kept for error messages)',
    );
    expect(lines.at(-1)).toBe(
      `5 output lines (${5 * MAX_OUTPUT_LINE_CHARS} bytes) were not logged`,
    );
  });
});
