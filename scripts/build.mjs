// `npm run build`: compile with tsc (dist/, one file per module: type-checked output that
// tests and library imports use), then bundle with esbuild over the files users run:
//   - dist/cli/main.js: the CLI, ESM, split per command (each command's code and the
//     libraries only it needs load from dist/chunks/ when the command runs);
//   - dist/mcp-servers/<name>.js: each bundled MCP server as one file.
// Both replace tsc's files of the same name, so bin/taskflow.js and toolbox YAML keep their
// paths; a later plain `tsc -p tsconfig.build.json` puts the unbundled files back, which
// work as before. Source maps (linked, pointing at src/) serve `--debug` stack traces.
// dist/chunks/bundle-contents.json says which packages each bundle file holds (tests read
// it to tell which libraries a command loaded).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DIST = path.join(ROOT, 'dist');
const MCP_SERVERS = ['echo', 'logbook', 'memcache'];

/**
 * Loaded from node_modules at run time, never bundled: taskflow reaches into nunjucks'
 * internals with require, and one copy must serve both. The rest are optional back ends of
 * bundled libraries that taskflow never uses (bullmq's Postgres, Valkey GLIDE and
 * node-redis clients, its OpenTelemetry hook; msgpackr's native extractor, whose install
 * script npm would warn about): their `require` fails and the library goes on without.
 */
const EXTERNAL = [
  'nunjucks',
  'nunjucks/*',
  'pg',
  'redis',
  '@valkey/valkey-glide',
  'bullmq-otel',
  'msgpackr-extract',
];

// Bundled CommonJS code calls require(); ESM output has none, so each file makes one.
const REQUIRE_BANNER =
  "import { createRequire as __taskflowCreateRequire } from 'node:module';\n" +
  'const require = __taskflowCreateRequire(import.meta.url);';

const COMMON = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  sourcesContent: false,
  external: EXTERNAL,
  banner: { js: REQUIRE_BANNER },
  metafile: true,
  logLevel: 'warning',
  legalComments: 'none',
};

function runTsc() {
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

/** Package name of a bundled input path (`node_modules/@scope/name/...`), else undefined. */
function packageOf(input) {
  const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  return match?.[1];
}

/** `{ "<dist-relative file>": { sha1, packages } }` for every JavaScript output. */
function bundleContents(metafiles) {
  const contents = {};
  for (const metafile of metafiles) {
    for (const [output, info] of Object.entries(metafile.outputs)) {
      if (!output.endsWith('.js')) continue;
      const file = path.join(ROOT, output);
      const packages = new Set();
      for (const input of Object.keys(info.inputs)) {
        const name = packageOf(input);
        if (name) packages.add(name);
      }
      contents[path.relative(DIST, file).split(path.sep).join('/')] = {
        sha1: createHash('sha1').update(fs.readFileSync(file)).digest('hex'),
        packages: [...packages].sort(),
      };
    }
  }
  return contents;
}

async function main() {
  runTsc();
  fs.rmSync(path.join(DIST, 'chunks'), { recursive: true, force: true });
  const cli = await esbuild.build({
    ...COMMON,
    absWorkingDir: ROOT,
    entryPoints: { 'cli/main': 'src/cli/main.ts' },
    outdir: 'dist',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
  });
  const servers = await esbuild.build({
    ...COMMON,
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(
      MCP_SERVERS.map((name) => [`mcp-servers/${name}`, `src/mcp-servers/${name}.ts`]),
    ),
    outdir: 'dist',
  });
  fs.writeFileSync(
    path.join(DIST, 'chunks', 'bundle-contents.json'),
    `${JSON.stringify(bundleContents([cli.metafile, servers.metafile]), null, 2)}\n`,
  );
}

await main();
