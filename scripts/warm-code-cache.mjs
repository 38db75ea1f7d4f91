// Part of `npm run build`: writes the code cache of every CommonJS bundle file
// (`<file>.v8cache`, see src/bundle-loader.ts). Representative commands run once each
// through scripts/run-refreshing-cache.mjs, which rewrites at exit the cache of every file
// the run loaded, now holding also what that run compiled; files none of them loaded get a
// cache of their top level. Each command must succeed: a bundle that cannot run its own
// warm-up fails the build.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { childEnvironment } from './child-environment.mjs';
import { initializeLine } from './mcp-initialize.mjs';

/** Commands the caches are made from: every vendor the CLI bundles is in one of them. */
const COMMANDS = [
  // model client (replayed answers), MCP client, the echo server, sessions
  ['run', 'taskflow.taskflows.echo', '--replay', 'examples/cassettes/echo.jsonl'],
  ['run', 'bench/fixtures/one-shell-task.yaml'],
  ['validate', 'bench/fixtures/ten-tasks.yaml'],
  ['--help'],
];

function bundleFiles(dist) {
  return ['cli', 'chunks', 'mcp-servers'].flatMap((folder) =>
    fs
      .readdirSync(path.join(dist, folder))
      .filter((name) => name.endsWith('.cjs'))
      .map((name) => path.join(dist, folder, name)),
  );
}

function runCommand(root, entry, args, environment) {
  const refreshing = path.join(root, 'scripts', 'run-refreshing-cache.mjs');
  const result = spawnSync(process.execPath, [refreshing, entry, ...args], {
    cwd: root,
    env: environment,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.status !== 0) {
    throw new Error(
      `code-cache warm-up: "taskflow ${args.join(' ')}" exited ${result.status ?? result.signal}: ${result.stderr.trim()}`,
    );
  }
}

/** Starts a bundled server, asks it `initialize`, closes its stdin; resolves once it exits. */
function initializeServer(root, entry, environment) {
  const refreshing = path.join(root, 'scripts', 'run-refreshing-cache.mjs');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [refreshing, entry], {
      cwd: root,
      env: environment,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
      if (stdout.includes('"id":1')) child.stdin.end();
    });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (stdout.includes('"id":1') && code === 0) resolve();
      else
        reject(
          new Error(
            `code-cache warm-up: ${path.basename(entry)} exited ${code ?? signal}: ${stderr.trim()}`,
          ),
        );
    });
    child.stdin.write(initializeLine('taskflow-build'));
  });
}

export async function writeCodeCaches({ root, dist }) {
  const files = bundleFiles(dist);
  for (const file of files) fs.rmSync(`${file}.v8cache`, { force: true });
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-code-cache-'));
  try {
    const environment = { ...childEnvironment(scratch), HOME: scratch };
    const cli = path.join(dist, 'cli', 'main.cjs');
    for (const args of COMMANDS) runCommand(root, cli, args, environment);
    for (const file of files.filter((candidate) =>
      candidate.includes(`${path.sep}mcp-servers${path.sep}`),
    ))
      await initializeServer(root, file, environment);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  const { precompile } = createRequire(import.meta.url)(path.join(dist, 'bundle-loader.cjs'));
  for (const file of files) if (!fs.existsSync(`${file}.v8cache`)) precompile(file);
}
