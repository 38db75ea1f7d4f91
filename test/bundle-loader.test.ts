import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

/**
 * dist/bundle-loader.cjs (src/bundle-loader.ts), run in child processes as bin/taskflow.js
 * runs it: a bundle file and the files it requires load through V8's code cache, written at
 * exit beside each file, and a cache never outlives the file version it was made from.
 */

const LOADER = fileURLToPath(new URL('../dist/bundle-loader.cjs', import.meta.url));

let folder: string;

beforeAll(() => {
  if (!fs.existsSync(LOADER)) throw new Error('dist/bundle-loader.cjs is missing: npm run build');
});

beforeEach(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-bundle-loader-'));
  fs.mkdirSync(path.join(folder, 'chunks'));
});

afterEach(() => {
  fs.rmSync(folder, { recursive: true, force: true });
  fs.rmSync(`${folder}-start.cjs`, { force: true });
});

/** main.cjs prints what chunks/word.cjs exports and whether both are in require.cache. */
function writeBundle(word: string, options: { bundleId?: string } = {}): void {
  const idLine = options.bundleId === undefined ? '' : `//# taskflowBundleId=${options.bundleId}\n`;
  fs.writeFileSync(
    path.join(folder, 'chunks', 'word.cjs'),
    `exports.word = ${JSON.stringify(word)};\n${idLine}`,
  );
  fs.writeFileSync(
    path.join(folder, 'main.cjs'),
    [
      "const { word } = require('./chunks/word.cjs');",
      "const cached = Object.keys(require('node:module').createRequire(__filename).cache);",
      "const ours = cached.filter((file) => file.startsWith(__dirname + require('node:path').sep)).map((file) => require('node:path').relative(__dirname, file));",
      'process.stdout.write(JSON.stringify({ word, ours, args: process.argv.slice(2) }));',
      '',
    ].join('\n'),
  );
}

function runBundle(codeCache = true): Promise<{ word: string; ours: string[]; args: string[] }> {
  // Outside the bundle folder, as bin/taskflow.js is.
  const starter = `${folder}-start.cjs`;
  fs.writeFileSync(
    starter,
    `require(${JSON.stringify(LOADER)}).runBundle(${JSON.stringify(path.join(folder, 'main.cjs'))}, { codeCache: ${codeCache} });\n`,
  );
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [starter, 'one', 'two'], (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as { word: string; ours: string[]; args: string[] });
    });
  });
}

const cacheOf = (file: string) => path.join(folder, `${file}.v8cache`);

/** Whether a cache file's data matches the length and CRC-32 its first line gives. */
function intact(cache: Buffer): boolean {
  const end = cache.indexOf(10);
  const [length, crc] = cache.subarray(0, end).toString().split(' ').slice(-2);
  const data = cache.subarray(end + 1);
  return Number(length) === data.length && zlib.crc32(data).toString(16) === crc;
}

describe('bundle loader', () => {
  it('runs the bundle, enters its files in require.cache and writes their caches at exit', async () => {
    writeBundle('first');
    const result = await runBundle();
    expect(result).toEqual({
      word: 'first',
      ours: ['main.cjs', path.join('chunks', 'word.cjs')],
      args: ['one', 'two'],
    });
    for (const file of ['main.cjs', 'chunks/word.cjs']) {
      const cache = fs.readFileSync(cacheOf(file));
      expect(cache.subarray(0, cache.indexOf(10)).toString()).toMatch(/^taskflow-code-cache \S+/);
      expect(cache.length).toBeGreaterThan(cache.indexOf(10) + 1);
    }
  });

  it('uses an accepted cache without writing it again', async () => {
    writeBundle('first');
    await runBundle();
    const before = fs.statSync(cacheOf('main.cjs')).mtimeMs;
    const written = fs.readFileSync(cacheOf('main.cjs'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await runBundle()).word).toBe('first');
    expect(fs.statSync(cacheOf('main.cjs')).mtimeMs).toBe(before);
    expect(fs.readFileSync(cacheOf('main.cjs'))).toEqual(written);
  });

  it('never runs a cache made from another version of a file, even of the same length', async () => {
    // V8 itself compares only the source length: same-length edits are the dangerous ones.
    writeBundle('first');
    await runBundle();
    const staleStamp = fs.readFileSync(cacheOf('chunks/word.cjs'));
    writeBundle('other');
    // The same modification time too, so only the content could tell them apart.
    const past = new Date('2020-01-01T00:00:00Z');
    fs.utimesSync(path.join(folder, 'chunks', 'word.cjs'), past, past);
    fs.writeFileSync(cacheOf('chunks/word.cjs'), staleStamp);
    expect((await runBundle()).word).toBe('other');
  });

  it('keys caches by the build’s content id when the file carries one', async () => {
    writeBundle('first', { bundleId: 'a'.repeat(40) });
    await runBundle();
    const stamp = (file: string) => {
      const cache = fs.readFileSync(cacheOf(file));
      return cache.subarray(0, cache.indexOf(10)).toString();
    };
    expect(stamp('chunks/word.cjs')).toMatch(
      new RegExp(`^taskflow-code-cache ${'a'.repeat(40)} \\d+ [0-9a-f]+$`),
    );
    // Same length, same id line, new content: a build would have written a new id; a hand
    // edit that keeps the old one is the one case the id cannot catch, so check the id.
    writeBundle('other', { bundleId: 'b'.repeat(40) });
    expect((await runBundle()).word).toBe('other');
    expect(stamp('chunks/word.cjs')).toMatch(new RegExp(`^taskflow-code-cache ${'b'.repeat(40)} `));
  });

  it('never hands V8 a damaged cache: a changed byte, a cut-off file', async () => {
    // V8 does not checksum code caches; a damaged one it accepts can crash the process.
    writeBundle('first');
    await runBundle();
    const cache = fs.readFileSync(cacheOf('main.cjs'));
    const dataStart = cache.indexOf(10) + 1;
    const flipped = Buffer.from(cache);
    for (let index = dataStart + 32; index < Math.min(flipped.length, dataStart + 96); index++)
      flipped[index] = (flipped[index] ?? 0) ^ 0xff;
    fs.writeFileSync(cacheOf('main.cjs'), flipped);
    expect((await runBundle()).word).toBe('first');
    expect(intact(fs.readFileSync(cacheOf('main.cjs')))).toBe(true);
    fs.writeFileSync(cacheOf('main.cjs'), cache.subarray(0, cache.length - 10));
    expect((await runBundle()).word).toBe('first');
    expect(intact(fs.readFileSync(cacheOf('main.cjs')))).toBe(true);
  });

  it('runs on when a cache cannot be written, leaving no temporary file', async () => {
    writeBundle('first');
    // A folder where the cache would go: unwritable even for root (a read-only install is
    // the everyday case).
    fs.mkdirSync(cacheOf('main.cjs'));
    fs.writeFileSync(path.join(cacheOf('main.cjs'), 'keep'), '');
    expect((await runBundle()).word).toBe('first');
    expect(fs.statSync(cacheOf('main.cjs')).isDirectory()).toBe(true);
    expect(fs.readdirSync(folder).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(fs.existsSync(cacheOf('chunks/word.cjs'))).toBe(true);
  });

  it('without the code cache (--debug) loads through Node and writes no cache', async () => {
    writeBundle('first');
    expect((await runBundle(false)).word).toBe('first');
    expect(fs.existsSync(cacheOf('main.cjs'))).toBe(false);
  });
});
