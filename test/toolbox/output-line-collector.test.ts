import { describe, expect, it } from 'vitest';
import {
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
});
