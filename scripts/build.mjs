// `npm run build`: compile with tsc (dist/, one file per module: type-checked output that
// tests and library imports use), then bundle with esbuild over the files users run, as
// CommonJS that dist/bundle-loader.cjs loads through V8's code cache (Node 20 has no
// compile cache; src/bundle-loader.ts says how it works):
//   - dist/cli/main.cjs: the CLI, split per command (each command's code and the libraries
//     only it needs load from dist/chunks/ when the command runs); bin/taskflow.js runs it;
//   - dist/mcp-servers/<name>.cjs: each bundled MCP server as one file, started by
//     dist/mcp-servers/<name>.js (replacing tsc's file of that name, so toolbox YAML keeps
//     its path).
// esbuild splits only ES modules, so it bundles to ESM in a staging directory first and
// then rewrites each file as CommonJS (import() included), chaining the source maps: the
// linked maps point at src/ and serve `--debug` stack traces. Last, representative
// commands run once to write each file's code cache (`<file>.v8cache`).
// dist/chunks/bundle-contents.json says which packages each bundle file holds (tests read
// it to tell which libraries a command loaded).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import * as esbuild from 'esbuild';
import { writeCodeCaches } from './warm-code-cache.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DIST = path.join(ROOT, 'dist');
const MCP_SERVERS = ['echo', 'logbook', 'memcache'];

/**
 * Optional back ends of bundled libraries that taskflow never uses, left to fail their
 * `require` so the library goes on without: bullmq's Postgres, Valkey GLIDE and node-redis
 * clients and its OpenTelemetry hook; msgpackr's native extractor (whose install script npm
 * would warn about); nunjucks' file watcher.
 */
const EXTERNAL = [
  'pg',
  'redis',
  '@valkey/valkey-glide',
  'bullmq-otel',
  'msgpackr-extract',
  'chokidar',
];

/**
 * commander requires node:child_process (and with it net and dgram, ~3 ms) when it loads,
 * for executable subcommands, which taskflow has none of: it is required when first used.
 */
const lazyChildProcessInCommander = {
  name: 'lazy-child-process-in-commander',
  setup(build) {
    build.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, (args) => {
      const eager = "const childProcess = require('node:child_process');";
      const source = fs.readFileSync(args.path, 'utf8');
      if (!source.includes(eager)) {
        return { errors: [{ text: `${args.path} no longer holds: ${eager}` }] };
      }
      const lazy =
        "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };";
      return { contents: source.replace(eager, lazy), loader: 'js' };
    });
  },
};

/** The first pass: ES modules (esbuild splits only those), named .cjs for the second. */
const STAGED_ESM = {
  absWorkingDir: ROOT,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  sourcesContent: false,
  external: EXTERNAL,
  outExtension: { '.js': '.cjs' },
  metafile: true,
  logLevel: 'warning',
  legalComments: 'none',
  plugins: [lazyChildProcessInCommander],
};

/** What stands in for `import.meta.url` once a file is CommonJS. */
const MODULE_URL = '__taskflowModuleUrl';

function runTsc() {
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

/** Every `.cjs` file under `directory`, relative to it. */
function stagedFiles(directory) {
  return fs
    .readdirSync(directory, { recursive: true })
    .map(String)
    .filter((file) => file.endsWith('.cjs'));
}

/**
 * The second pass: each staged ES module becomes a CommonJS file of the same name in dist/;
 * `import()` becomes require (so the code cache covers every file), and the input source
 * maps are chained, so the maps written still point at src/.
 */
async function toCommonJs(staging) {
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: stagedFiles(staging).map((file) => path.join(staging, file)),
    outbase: staging,
    outdir: DIST,
    outExtension: { '.js': '.cjs' },
    bundle: false,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    supported: { 'dynamic-import': false },
    define: { 'import.meta.url': MODULE_URL },
    banner: { js: `const ${MODULE_URL} = require("node:url").pathToFileURL(__filename).href;` },
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'warning',
    legalComments: 'none',
  });
}

/**
 * Appends `//# taskflowBundleId=<sha1 of the file>` to each bundle file: the loader keys
 * code caches by it (see src/bundle-loader.ts). At the end, so source maps stay aligned.
 */
function appendBundleIds(files) {
  for (const file of files) {
    const source = fs.readFileSync(file, 'utf8');
    const id = createHash('sha1').update(source).digest('hex');
    fs.writeFileSync(
      file,
      `${source}${source.endsWith('\n') ? '' : '\n'}//# taskflowBundleId=${id}\n`,
    );
  }
}

/** Package name of a bundled input path (`node_modules/@scope/name/...`), else undefined. */
function packageOf(input) {
  const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  return match?.[1];
}

/** `{ "<dist-relative file>": { sha1, packages } }` for every bundle file. */
function bundleContents(metafiles, staging) {
  const contents = {};
  for (const metafile of metafiles) {
    for (const [output, info] of Object.entries(metafile.outputs)) {
      if (!output.endsWith('.cjs')) continue;
      const relative = path.relative(staging, path.resolve(ROOT, output)).split(path.sep).join('/');
      const packages = new Set();
      for (const input of Object.keys(info.inputs)) {
        const name = packageOf(input);
        if (name) packages.add(name);
      }
      contents[relative] = {
        sha1: createHash('sha1')
          .update(fs.readFileSync(path.join(DIST, relative)))
          .digest('hex'),
        packages: [...packages].sort(),
      };
    }
  }
  return contents;
}

/** dist/mcp-servers/<name>.js: what toolbox YAML starts; it runs <name>.cjs. */
function writeServerStub(name) {
  const stub = [
    `// Written by scripts/build.mjs: the bundled ${name} MCP server (${name}.cjs beside this`,
    '// file), loaded through the code cache (dist/bundle-loader.cjs).',
    "import { createRequire } from 'node:module';",
    "import { fileURLToPath } from 'node:url';",
    '',
    "createRequire(import.meta.url)('../bundle-loader.cjs').runBundle(",
    `  fileURLToPath(new URL('./${name}.cjs', import.meta.url)),`,
    '  { codeCache: true },',
    ');',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(DIST, 'mcp-servers', `${name}.js`), stub);
  fs.rmSync(path.join(DIST, 'mcp-servers', `${name}.js.map`), { force: true });
}

async function main() {
  runTsc();
  fs.rmSync(path.join(DIST, 'chunks'), { recursive: true, force: true });
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-build-'));
  try {
    const cli = await esbuild.build({
      ...STAGED_ESM,
      entryPoints: { 'cli/main': 'src/cli/main.ts' },
      outdir: staging,
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
    });
    const servers = await esbuild.build({
      ...STAGED_ESM,
      entryPoints: Object.fromEntries(
        MCP_SERVERS.map((name) => [`mcp-servers/${name}`, `src/mcp-servers/${name}.ts`]),
      ),
      outdir: staging,
    });
    await toCommonJs(staging);
    appendBundleIds(stagedFiles(staging).map((file) => path.join(DIST, file)));
    fs.writeFileSync(
      path.join(DIST, 'chunks', 'bundle-contents.json'),
      `${JSON.stringify(bundleContents([cli.metafile, servers.metafile], staging), null, 2)}\n`,
    );
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: { 'bundle-loader': 'src/bundle-loader.ts' },
    outdir: DIST,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
  });
  for (const name of MCP_SERVERS) writeServerStub(name);
  await writeCodeCaches({ root: ROOT, dist: DIST });
}

await main();
