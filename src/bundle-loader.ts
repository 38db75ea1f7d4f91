/**
 * Loads the CommonJS bundle `npm run build` writes (dist/cli/main.cjs and the chunks it
 * requires, dist/mcp-servers/<name>.cjs) through V8's code cache, so start-up skips parsing
 * and compiling what an earlier run already compiled. Node 20 has no compile cache of its
 * own (module.enableCompileCache came in 22), hence this loader.
 *
 * Each bundle file `x.cjs` keeps its cache in `x.cjs.v8cache` beside it. The build writes
 * them (scripts/warm-code-cache.mjs runs representative commands); a run writes one only
 * where it is missing, stale or rejected by V8 (another Node version, other V8 flags), at
 * exit, atomically, and quietly gives up where the directory is read-only. A cache holds
 * compiled code of the file it sits beside, nothing more: it is as trusted as that file.
 * V8 checks only the source's length, so each cache starts with a stamp naming the version
 * of the file it was made from: the content id the build appends to each bundle file
 * (`//# taskflowBundleId=<sha1>`), else its size and modification time. A rebuilt file never
 * meets an old cache. The stamp line also carries the V8 data's length and CRC-32: V8 does
 * not checksum code caches, and a damaged one it accepts can crash the process.
 *
 * Bundle files require each other by relative path; everything else (node: builtins and
 * the few packages the bundle leaves in node_modules) goes through Node's own require.
 * Every file loaded is entered in require.cache like any CommonJS module.
 *
 * Built by esbuild into dist/bundle-loader.cjs: it must not import anything of ours.
 */
import fs from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import zlib from 'node:zlib';

export interface BundleOptions {
  /**
   * false: plain `require` (Node's loader), which honours source maps once
   * process.setSourceMapsEnabled(true) ran (`--debug` stack traces point at src/).
   */
  readonly codeCache: boolean;
  /** Rewrite every file's cache at exit, adding what this run compiled (the build's warm-up). */
  readonly refresh?: boolean;
}

interface PendingCache {
  readonly cacheFile: string;
  readonly stamp: string;
  readonly script: vm.Script;
}

const CACHE_SUFFIX = '.v8cache';
const STAMP_PREFIX = 'taskflow-code-cache';
const NEWLINE = 0x0a;

function cacheFileOf(file: string): string {
  return file + CACHE_SUFFIX;
}

const BUNDLE_ID = '//# taskflowBundleId=';

/** `taskflow-code-cache <content id>`: which version of the file a cache was made from. */
function stampOf(file: string, source: string): string {
  const marker = source.lastIndexOf(BUNDLE_ID);
  if (marker !== -1) return `${STAMP_PREFIX} ${source.slice(marker + BUNDLE_ID.length).trim()}`;
  const stats = fs.statSync(file);
  return `${STAMP_PREFIX} ${stats.size} ${stats.mtimeMs}`;
}

/** `<stamp> <length> <crc32 hex>`: the first line of a cache file. */
function headerOf(stamp: string, data: Buffer): string {
  return `${stamp} ${data.length} ${zlib.crc32(data).toString(16)}`;
}

/** The V8 data of a cache file, when its stamp matches and the data is intact; else undefined. */
function cachedDataFor(cache: Buffer | undefined, stamp: string): Buffer | undefined {
  if (!cache) return undefined;
  const end = cache.indexOf(NEWLINE);
  if (end === -1) return undefined;
  const data = cache.subarray(end + 1);
  return cache.toString('latin1', 0, end) === headerOf(stamp, data) ? data : undefined;
}

function compileWithCache(
  filename: string,
  cache: Buffer | undefined,
): { script: vm.Script; stamp: string; accepted: boolean } {
  const source = fs.readFileSync(filename, 'utf8');
  const stamp = stampOf(filename, source);
  const cachedData = cachedDataFor(cache, stamp);
  const script = new vm.Script(Module.wrap(source), {
    filename,
    ...(cachedData && { cachedData }),
    // The bundle turns its own `import()` into require; a vendor's left in place works.
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  return {
    script,
    stamp,
    accepted: cachedData !== undefined && script.cachedDataRejected !== true,
  };
}

/** Load `entry` (an absolute path of a bundle file) and everything it requires. */
export function runBundle(entry: string, options: BundleOptions): void {
  if (!options.codeCache) {
    createRequire(entry)(entry);
    return;
  }
  new BundleLoader(options.refresh === true).load(entry);
}

/** Write `file`'s cache from compiling its top level only (for files no warm-up ran). */
export function precompile(file: string): void {
  const { script, stamp } = compileWithCache(file, undefined);
  writeAtomically(cacheFileOf(file), stamp, script);
}

class BundleLoader {
  readonly #refresh: boolean;
  readonly #pending: PendingCache[] = [];
  #exitHookInstalled = false;

  constructor(refresh: boolean) {
    this.#refresh = refresh;
  }

  load(filename: string): unknown {
    const nodeRequire = createRequire(filename);
    const existing = nodeRequire.cache[filename];
    if (existing) return existing.exports;
    const module = new Module(filename);
    module.filename = filename;
    nodeRequire.cache[filename] = module;
    const bundleRequire = Object.assign(
      (id: string): unknown =>
        id.startsWith('./') || id.startsWith('../')
          ? this.load(path.resolve(path.dirname(filename), id))
          : nodeRequire(id),
      { resolve: nodeRequire.resolve, cache: nodeRequire.cache, main: undefined },
    );
    try {
      const compiled = this.#compile(filename) as (
        exports: unknown,
        require: unknown,
        module: Module,
        filename: string,
        dirname: string,
      ) => void;
      compiled.call(
        module.exports,
        module.exports,
        bundleRequire,
        module,
        filename,
        path.dirname(filename),
      );
    } catch (error) {
      delete nodeRequire.cache[filename];
      throw error;
    }
    module.loaded = true;
    return module.exports;
  }

  #compile(filename: string): unknown {
    const cacheFile = cacheFileOf(filename);
    const { script, stamp, accepted } = compileWithCache(filename, readIfPresent(cacheFile));
    if (!accepted || this.#refresh) this.#remember({ cacheFile, stamp, script });
    return script.runInThisContext({ displayErrors: true });
  }

  #remember(pending: PendingCache): void {
    this.#pending.push(pending);
    if (this.#exitHookInstalled) return;
    this.#exitHookInstalled = true;
    // At exit the cache holds every function the run compiled, not just the top level.
    process.once('exit', () => {
      for (const { cacheFile, stamp, script } of this.#pending)
        writeAtomically(cacheFile, stamp, script);
    });
  }
}

function readIfPresent(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Temporary file of this writer's own (created exclusively), then rename: a reader sees the
 * old cache, the new one or none. Nothing is serialised where nothing can be written.
 */
function writeAtomically(cacheFile: string, stamp: string, script: vm.Script): void {
  const unique = Math.random().toString(36).slice(2, 10);
  const temporary = `${cacheFile}.${process.pid}.${unique}.tmp`;
  try {
    fs.accessSync(path.dirname(cacheFile), fs.constants.W_OK);
    const data = script.createCachedData();
    fs.writeFileSync(temporary, Buffer.concat([Buffer.from(`${headerOf(stamp, data)}\n`), data]), {
      flag: 'wx',
    });
    fs.renameSync(temporary, cacheFile);
  } catch {
    // A read-only install, a full disk: the next run compiles from source, as without one.
    fs.rmSync(temporary, { force: true });
  }
}
