import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnvironment, makeSandbox, REPO_ROOT } from './cli-harness.js';

/**
 * The package as users install it: `npm pack` of the built tree, then
 * `npm install -g --prefix <tmp> <tarball>` (offline, from the npm cache `npm ci` filled),
 * then the installed `taskflow` used from a directory that is not the clone. One install
 * for the whole file (it takes seconds).
 */

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<Result> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: options.env, timeout: options.timeoutMs ?? 30_000 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new Error(`${command} ${args.join(' ')}: ${error.message}\n${stderr}`));
          return;
        }
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}

/**
 * npm's environment: the user's (npm finds its cache and config through HOME) minus the
 * `npm_*` variables an enclosing `npm test` sets, which npm would read as configuration.
 */
function npmEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
}

/** `npm warn` lines, except the one this machine's user config always causes. */
function npmWarnings(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => /^npm warn/i.test(line))
    .filter((line) => !line.includes('Unknown user config "nodedir"'));
}

let work: string;
let prefix: string;
let packed: { files: { path: string }[] }[];
let install: Result;

beforeAll(async () => {
  work = makeSandbox();
  const pack = await run(
    'npm',
    ['pack', '--ignore-scripts', '--json', '--pack-destination', work],
    { cwd: REPO_ROOT, env: npmEnvironment() },
  );
  expect(pack.code, pack.stderr).toBe(0);
  expect(npmWarnings(pack.stderr)).toEqual([]);
  packed = JSON.parse(pack.stdout) as typeof packed;
  const [tarball] = fs.readdirSync(work).filter((name) => name.endsWith('.tgz'));
  expect(tarball).toBeDefined();
  prefix = path.join(work, 'prefix');
  install = await run(
    'npm',
    [
      'install',
      '-g',
      '--prefix',
      prefix,
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      path.join(work, tarball as string),
    ],
    { cwd: work, env: npmEnvironment(), timeoutMs: 180_000 },
  );
}, 200_000);

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

/** The installed command, run from a fresh directory outside the clone. */
function installedTaskflow(
  args: readonly string[],
  cwd: string,
  extra: Record<string, string | undefined> = {},
): Promise<Result> {
  const environment = cliEnvironment(cwd, {
    // The shebang finds node on PATH; the clone's node_modules/.bin is not on it.
    PATH: `${path.dirname(process.execPath)}${path.delimiter}/usr/bin${path.delimiter}/bin`,
    ...extra,
  });
  return run(path.join(prefix, 'bin', 'taskflow'), args, { cwd, env: environment });
}

const installedRoot = () => path.join(prefix, 'lib', 'node_modules', 'taskflow-runner');

describe('npm pack → npm install -g → taskflow', () => {
  it('installs the tarball offline without npm warnings', () => {
    expect(install.code, install.stderr).toBe(0);
    expect(npmWarnings(`${install.stdout}\n${install.stderr}`)).toEqual([]);
    expect(install.stderr).not.toMatch(/npm error/i);
    expect(fs.existsSync(path.join(prefix, 'bin', 'taskflow'))).toBe(true);
  });

  it('ships the license, the bundled YAML folders and the MCP servers, but no source maps or sources', () => {
    const files = packed[0]?.files.map((file) => file.path) ?? [];
    for (const required of [
      'LICENSE',
      'README.md',
      'package.json',
      'bin/taskflow.js',
      'dist/cli/main.js',
      'dist/mcp-servers/echo.js',
      'dist/mcp-servers/memcache.js',
      'dist/mcp-servers/logbook.js',
      'taskflows/echo.yaml',
      'personalities/assistant.yaml',
      'toolboxes/echo.yaml',
      'prompts/greeting_style.yaml',
      'model_configs/example.yaml',
      'examples/cassettes/echo.jsonl',
      'examples/starter/taskflows/hello.yaml',
      'examples/starter/cassettes/hello.jsonl',
    ]) {
      expect(files).toContain(required);
    }
    expect(files.filter((file) => file.endsWith('.map'))).toEqual([]);
    expect(files.filter((file) => /^(src|test|bench|scripts)\//.test(file))).toEqual([]);
    // A source map left in the installed tree would point at sources that are not there.
    const installedMaps = fs
      .readdirSync(path.join(installedRoot(), 'dist'), { recursive: true })
      .filter((file) => String(file).endsWith('.map'));
    expect(installedMaps).toEqual([]);
  });

  it('declares license, repository, homepage, bugs and exports that resolve', () => {
    const manifest = JSON.parse(
      fs.readFileSync(path.join(installedRoot(), 'package.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(manifest.license).toBe('MIT');
    expect(fs.readFileSync(path.join(installedRoot(), 'LICENSE'), 'utf8')).toContain('MIT License');
    expect(manifest.repository).toMatchObject({
      type: 'git',
      url: expect.stringMatching(/^git\+https:\/\/github\.com\//) as string,
    });
    expect(manifest.homepage).toMatch(/^https:\/\/github\.com\//);
    expect(manifest.bugs).toMatchObject({ url: expect.stringMatching(/\/issues$/) as string });
    // No broken entry point: every export target and a `main`, if any, exist.
    const exportsField = manifest.exports as Record<string, string>;
    for (const target of Object.values(exportsField)) {
      expect(fs.existsSync(path.join(installedRoot(), target)), target).toBe(true);
    }
    if (typeof manifest.main === 'string') {
      expect(fs.existsSync(path.join(installedRoot(), manifest.main))).toBe(true);
    }
    // No install-time scripts: a tarball install runs nothing and npm has nothing to warn about.
    const scripts = (manifest.scripts ?? {}) as Record<string, string>;
    for (const event of ['preinstall', 'install', 'postinstall', 'prepare']) {
      expect(scripts[event], event).toBeUndefined();
    }
  });

  it('runs from another directory: --version, validate, and an offline run --replay', async () => {
    const elsewhere = makeSandbox();
    try {
      const manifest = JSON.parse(
        fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'),
      ) as { version: string };
      const version = await installedTaskflow(['--version'], elsewhere);
      expect(version).toMatchObject({ code: 0, stdout: `${manifest.version}\n` });

      const validate = await installedTaskflow(['validate', 'taskflow.taskflows.echo'], elsewhere);
      expect(validate.code, validate.stderr).toBe(0);
      expect(validate.stdout).toMatch(/^valid: taskflow\.taskflows\.echo/);

      const replay = await installedTaskflow(
        [
          'run',
          'taskflow.taskflows.echo',
          '--replay',
          path.join(installedRoot(), 'examples/cassettes/echo.jsonl'),
          '--output',
          'plain',
        ],
        elsewhere,
        // An endpoint that refuses every connection and no token: the run must need neither.
        { AI_API_ENDPOINT: 'http://127.0.0.1:9/v1', AI_API_TOKEN: undefined },
      );
      expect(replay.stderr).not.toMatch(/^\s+at /m);
      expect(replay.code, replay.stderr).toBe(0);
      // The echo MCP server ran from the installed package.
      expect(replay.stdout).toContain('The echo tool returned: "Tool echo: hello from taskflow".');
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('scaffolds with init and runs the starter offline, all from the installed package', async () => {
    const elsewhere = makeSandbox();
    try {
      const init = await installedTaskflow(['init', 'flows'], elsewhere);
      expect(init.code, init.stderr).toBe(0);
      const project = path.join(elsewhere, 'flows');
      const validate = await installedTaskflow(['validate', 'taskflows.hello'], project);
      expect(validate.code, validate.stderr).toBe(0);
      const replay = await installedTaskflow(
        ['run', 'taskflows.hello', '--replay', 'cassettes/hello.jsonl', '--output', 'plain'],
        project,
        { AI_API_ENDPOINT: 'http://127.0.0.1:9/v1', AI_API_TOKEN: undefined },
      );
      expect(replay.code, replay.stderr).toBe(0);
      expect(replay.stdout).toContain('Tool echo: Hello, Grace!');
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
