// For scripts/warm-code-cache.mjs: `node run-refreshing-cache.mjs <bundle file> [args...]`
// runs the bundle file with the arguments after it, then rewrites at exit the code cache of
// every bundle file the run loaded.
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';

const [entry] = process.argv.splice(2, 1);
createRequire(import.meta.url)('../dist/bundle-loader.cjs').runBundle(path.resolve(entry), {
  codeCache: true,
  refresh: true,
});
