import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Which packages a traced CLI process loaded (test/fixtures/trace-loaded-files.mjs:
 * ES modules and CommonJS files), on either build: plain tsc (files straight from node_modules) or
 * `npm run build` (a bundle file counts as the packages dist/chunks/bundle-contents.json
 * says it holds, as long as it is the file the bundler wrote).
 */

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

interface BundleFile {
  readonly sha1: string;
  readonly packages: readonly string[];
}

function bundleContents(): Record<string, BundleFile> {
  const file = path.join(DIST, 'chunks/bundle-contents.json');
  return fs.existsSync(file)
    ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, BundleFile>)
    : {};
}

function packagesOfFile(file: string, contents: Record<string, BundleFile>): string[] {
  const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file);
  if (match?.[1]) return [match[1]];
  const entry = contents[path.relative(DIST, file).split(path.sep).join('/')];
  // A file tsc wrote over since the bundle was built holds no package.
  if (!entry || !fs.existsSync(file)) return [];
  const sha1 = createHash('sha1').update(fs.readFileSync(file)).digest('hex');
  return sha1 === entry.sha1 ? [...entry.packages] : [];
}

/** The packages named by a trace file's `specifier<TAB>url` lines. */
export function packagesInTrace(traceFile: string): Set<string> {
  const contents = bundleContents();
  const packages = new Set<string>();
  for (const line of fs.readFileSync(traceFile, 'utf8').split('\n')) {
    const url = line.split('\t')[1];
    if (!url?.startsWith('file:')) continue;
    for (const name of packagesOfFile(fileURLToPath(url), contents)) packages.add(name);
  }
  return packages;
}
