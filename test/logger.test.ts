import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, formatLogLine, MAX_LOG_MESSAGE_CHARS } from '../src/logger.js';
import { Redactor } from '../src/redactor.js';

let directory: string;

beforeEach(() => {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-logger-'));
});
afterEach(() => {
  fs.rmSync(directory, { recursive: true, force: true });
});

function logFiles(): Record<string, string> {
  return Object.fromEntries(
    fs
      .readdirSync(directory)
      .sort()
      .map((name) => [name, fs.readFileSync(path.join(directory, name), 'utf8')]),
  );
}

const lineCount = (text: string | undefined): number =>
  (text ?? '').split('\n').filter((line) => line !== '').length;

describe('createLogger', () => {
  it('rotates during a run and keeps at most keepFiles files of at most maxBytes', async () => {
    const logger = createLogger({
      directory,
      redactor: new Redactor(),
      maxBytes: 1000,
      keepFiles: 3,
    });
    for (let index = 0; index < 100; index += 1) {
      logger.debug(`message ${String(index).padStart(3, '0')} ${'m'.repeat(50)}`);
      // Let each write reach the disk: this test is about rotation, not back-pressure.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await logger.close();
    const files = logFiles();
    expect(Object.keys(files)).toEqual(['taskflow.log', 'taskflow.log.1', 'taskflow.log.2']);
    for (const text of Object.values(files))
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(1000);
    expect(files['taskflow.log']).toMatch(/message 099 m+\n$/);
    // The generations are in order: .2 is older than .1, which is older than the current file.
    const first = (text: string | undefined) => Number(/message (\d+)/.exec(text ?? '')?.[1]);
    expect(first(files['taskflow.log.2'])).toBeLessThan(first(files['taskflow.log.1']));
    expect(first(files['taskflow.log.1'])).toBeLessThan(first(files['taskflow.log']));
  });

  it('drops lines while the file lags behind, then writes a marker counting them', async () => {
    const logger = createLogger({ directory, redactor: new Redactor(), maxPendingBytes: 10_000 });
    const line = 'p'.repeat(100);
    // One synchronous burst: nothing reaches the disk until it is over.
    for (let index = 0; index < 1000; index += 1) logger.debug(line);
    await logger.close();
    const text = logFiles()['taskflow.log'] ?? '';
    const marker =
      /warn taskflow: (\d+) log lines \((\d+) bytes\) were dropped: the log file could not keep up\n$/.exec(
        text,
      );
    expect(marker).not.toBeNull();
    const written = lineCount(text) - 1;
    expect(written).toBeGreaterThan(0);
    expect(written + Number(marker?.[1])).toBe(1000);
    expect(Buffer.byteLength(text)).toBeLessThan(10_000 + 1000);
  });

  it('rotates a full file at start and appends to one with room', async () => {
    fs.writeFileSync(path.join(directory, 'taskflow.log'), 'old\n'.repeat(300));
    const logger = createLogger({ directory, redactor: new Redactor(), maxBytes: 1000 });
    logger.info('new run');
    await logger.close();
    const files = logFiles();
    expect(files['taskflow.log.1']).toBe('old\n'.repeat(300));
    expect(files['taskflow.log']).toMatch(/^\S+ info new run\n$/);
  });

  it('makes the folder and files private, also those an older version left open', async () => {
    fs.chmodSync(directory, 0o755);
    fs.writeFileSync(path.join(directory, 'taskflow.log.1'), 'older\n', { mode: 0o644 });
    fs.chmodSync(path.join(directory, 'taskflow.log.1'), 0o644);
    const nested = path.join(directory, 'state', 'taskflow');
    const logger = createLogger({ directory: nested, redactor: new Redactor() });
    logger.info('hello');
    await logger.close();
    const again = createLogger({ directory, redactor: new Redactor() });
    again.info('hello');
    await again.close();
    const mode = (entry: string) => fs.statSync(entry).mode & 0o777;
    expect(mode(path.join(directory, 'state'))).toBe(0o700);
    expect(mode(nested)).toBe(0o700);
    expect(mode(path.join(nested, 'taskflow.log'))).toBe(0o600);
    expect(mode(directory)).toBe(0o700);
    expect(mode(path.join(directory, 'taskflow.log'))).toBe(0o600);
    expect(mode(path.join(directory, 'taskflow.log.1'))).toBe(0o600);
  });

  it('cuts a huge message and redacts what it keeps', async () => {
    const redactor = new Redactor();
    redactor.add('s3cret-value');
    const logger = createLogger({ directory, redactor });
    logger.warn(`token s3cret-value ${'q'.repeat(MAX_LOG_MESSAGE_CHARS * 2)}`);
    await logger.close();
    const text = logFiles()['taskflow.log'] ?? '';
    expect(text).toContain('token [redacted] ');
    expect(text).not.toContain('s3cret-value');
    expect(text).toMatch(/… \[\d+ more characters not logged\]\n$/);
    expect(text.length).toBeLessThan(MAX_LOG_MESSAGE_CHARS + 200);
  });

  it('puts the session id on every line, in the file and on the debug stream', async () => {
    const shown: string[] = [];
    const debugStream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        shown.push(chunk.toString());
        callback();
      },
    });
    const logger = createLogger({
      directory,
      redactor: new Redactor(),
      sessionId: '0123456789ab',
      debugStream,
      maxPendingBytes: 2000,
    });
    logger.info('first');
    logger.debug('second\nspans lines');
    for (let index = 0; index < 50; index += 1) logger.debug('d'.repeat(100));
    await logger.close();
    const lines = (logFiles()['taskflow.log'] ?? '').split('\n').filter((line) => line !== '');
    expect(lines[0]).toMatch(/^\S+Z info session=0123456789ab first$/);
    // The dropped-lines marker too: every line of the file can be found by the session id.
    expect(lines.at(-1)).toMatch(/^\S+Z warn session=0123456789ab taskflow: \d+ log lines/);
    for (const line of lines) expect(line).toMatch(/^\S+Z (debug|info|warn) session=0123456789ab /);
    expect(shown[0]).toMatch(/^\S+Z info session=0123456789ab first\n$/);
    // A message of several lines (a stack trace) repeats the prefix on each.
    expect(shown[1]).toMatch(
      /^(\S+Z) debug session=0123456789ab second\n\1 debug session=0123456789ab spans lines\n$/,
    );
  });
});

describe('formatLogLine', () => {
  it('is a timestamp, the level, the session when there is one, and the message', () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    expect(formatLogLine('debug', 'hello', { at })).toBe('2026-01-02T03:04:05.678Z debug hello\n');
    expect(formatLogLine('warn', 'x\ny', { at, sessionId: 'abc' })).toBe(
      '2026-01-02T03:04:05.678Z warn session=abc x\n2026-01-02T03:04:05.678Z warn session=abc y\n',
    );
  });
});
