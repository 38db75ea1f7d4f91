import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packagesInTrace } from './loaded-packages.js';

/**
 * End-to-end (issue 15): the built CLI loads a library only when the command needs it, and
 * `--debug` stack traces name source files. Works on both builds: `npm run build` (the
 * esbuild bundle: a bundle file counts as the packages dist/chunks/bundle-contents.json says
 * it holds) and plain `tsc -p tsconfig.build.json` (files straight from node_modules).
 */

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = path.join(REPO_ROOT, 'dist');
const CLI = path.join(REPO_ROOT, 'bin/taskflow.js');
const TRACE = pathToFileURL(path.join(REPO_ROOT, 'test/fixtures/trace-loaded-files.mjs')).href;
const HEADER = 'seclab-taskflow-agent:\n  version: "1.0"\n  filetype: taskflow\n';
const MODEL_AND_MCP = ['openai', '@modelcontextprotocol/sdk'];

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let scratch: string;

beforeAll(() => {
  if (!fs.existsSync(path.join(DIST, 'cli/main.js'))) {
    throw new Error('dist/ is missing: build first (npm run build)');
  }
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-lazy-loading-'));
});

afterAll(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
});

function runCli(
  args: readonly string[],
  options: { nodeArgs?: readonly string[]; env?: Record<string, string> } = {},
): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: scratch,
    NO_COLOR: '1',
    CI: '1',
    TASKFLOW_SESSION_DIR: path.join(scratch, 'sessions'),
    XDG_STATE_HOME: path.join(scratch, 'state'),
    ...options.env,
  };
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...(options.nodeArgs ?? []), CLI, ...args],
      { cwd: scratch, env, timeout: 20_000 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new Error(`cannot run ${CLI}: ${error.message}`, { cause: error }));
          return;
        }
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}

/** Runs the CLI under the load tracer; the packages whose code the process loaded. */
async function loadedPackages(args: readonly string[]): Promise<Set<string>> {
  const traceFile = path.join(scratch, `trace-${args.join('-').replace(/\W+/g, '_')}.txt`);
  fs.rmSync(traceFile, { force: true });
  const result = await runCli(args, {
    nodeArgs: ['--import', TRACE],
    env: { TASKFLOW_TRACE_IMPORTS_FILE: traceFile },
  });
  expect(result.stderr).not.toMatch(/internal error/);
  expect(result.code).toBe(0);
  return packagesInTrace(traceFile);
}

/** Runs the CLI; Node's list of the built-in modules the process loaded. */
async function builtinsLoaded(args: readonly string[]): Promise<string[]> {
  const listFile = path.join(scratch, `builtins-${args.join('-').replace(/\W+/g, '_')}.txt`);
  const preload = path.join(scratch, 'write-module-list.cjs');
  fs.writeFileSync(
    preload,
    `process.on('exit', () => require('node:fs').writeFileSync(process.env.TASKFLOW_MODULE_LIST_FILE, process.moduleLoadList.join('\\n')))`,
  );
  const result = await runCli(args, {
    nodeArgs: ['--require', preload],
    env: { TASKFLOW_MODULE_LIST_FILE: listFile },
  });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return fs.readFileSync(listFile, 'utf8').split('\n');
}

function writeFlow(name: string, tasks: string): string {
  const file = path.join(scratch, name);
  fs.writeFileSync(file, `${HEADER}\ntaskflow:\n${tasks}`);
  return file;
}

const SHELL_TASK = `  - task:
      name: say hello
      run: echo hello
`;

const PROMPT_TASK = `  - task:
      name: ask
      agents: [taskflow.personalities.assistant]
      model: gpt-4.1
      user_prompt: Say hello.
`;

describe('libraries load only when the command needs them', () => {
  it('--help loads commander and nothing else', async () => {
    const packages = await loadedPackages(['--help']);
    expect([...packages]).toEqual(['commander']);
  });

  it('--help and validate load no child-process code (from the bundle)', async () => {
    // The bundle makes commander's require of node:child_process lazy (scripts/build.mjs);
    // the tsc-only build runs commander as published, which requires it at once.
    expect(fs.existsSync(path.join(DIST, 'cli/main.cjs'))).toBe(true);
    const flow = writeFlow('validate-builtins.yaml', SHELL_TASK + PROMPT_TASK);
    for (const args of [['--help'], ['validate', flow]]) {
      const loaded = await builtinsLoaded(args);
      expect(loaded).toContain('NativeModule vm');
      expect(loaded.filter((entry) => /child_process|dgram/.test(entry))).toEqual([]);
    }
  });

  it('a run of shell tasks loads neither the openai SDK, the MCP client nor ajv', async () => {
    const flow = writeFlow('shell-only.yaml', SHELL_TASK.repeat(2));
    const packages = await loadedPackages(['run', flow]);
    expect(packages).toContain('yaml');
    for (const heavy of [...MODEL_AND_MCP, 'ajv']) expect(packages).not.toContain(heavy);
  });

  it('a run that is not on a terminal loads no spinner or terminal-width code', async () => {
    const flow = writeFlow('shell-plain.yaml', SHELL_TASK);
    for (const output of ['plain', 'jsonl']) {
      const packages = await loadedPackages(['run', flow, '--output', output]);
      for (const terminalOnly of ['ora', 'string-width', 'chalk'])
        expect(packages).not.toContain(terminalOnly);
    }
  });

  it('validate without outputs loads no ajv, model or MCP library', async () => {
    const flow = writeFlow('prompts.yaml', SHELL_TASK + PROMPT_TASK.repeat(3));
    const packages = await loadedPackages(['validate', flow]);
    // nunjucks is CommonJS: seen here, the tracer sees required files too.
    expect(packages).toContain('nunjucks');
    expect(packages).toContain('yaml');
    for (const heavy of [...MODEL_AND_MCP, 'ajv']) expect(packages).not.toContain(heavy);
  });
});

describe('--debug stack traces', () => {
  it('name the TypeScript source files and lines, not the built ones', async () => {
    const result = await runCli(['--debug', 'validate', path.join(scratch, 'missing.yaml')]);
    expect(result.code).toBe(2);
    const frames = result.stderr.split('\n').filter((line) => /^\s+at /.test(line));
    const ours = frames.filter(
      (line) => line.includes(REPO_ROOT) && !line.includes('node_modules'),
    );
    expect(ours.length).toBeGreaterThan(0);
    for (const frame of ours) {
      expect(frame).toMatch(/\/src\/[\w/-]+\.ts:\d+:\d+\)?$/);
    }
    expect(ours.join('\n')).toContain(path.join(REPO_ROOT, 'src/definitions/'));
  });

  it('are not printed without --debug', async () => {
    const result = await runCli(['validate', path.join(scratch, 'missing.yaml')]);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});
