import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSandbox, REPO_ROOT, runCli } from './cli-harness.js';

/**
 * `taskflow init [dir]` (issue 11 point 10): a starter taskflow, personality, toolbox and
 * cassette that `validate` accepts and `run --replay` runs offline; never overwrites.
 */

const STARTER_FILES = [
  'cassettes/hello.jsonl',
  'personalities/helper.yaml',
  'taskflows/hello.yaml',
  'toolboxes/echo.yaml',
];
/** An endpoint that refuses every connection and no token: an offline run needs neither. */
const OFFLINE = { AI_API_ENDPOINT: 'http://127.0.0.1:9/v1', AI_API_TOKEN: undefined };

let sandbox: string;

beforeEach(() => {
  sandbox = makeSandbox();
});
afterEach(() => {
  fs.rmSync(sandbox, { recursive: true, force: true });
});

/** Relative paths of the files below `directory`, sorted. */
function filesBelow(directory: string): string[] {
  return fs
    .readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(directory, path.join(entry.parentPath, entry.name)))
    .sort();
}

describe('taskflow init', () => {
  it('creates the starter in a new directory and says what to run next', async () => {
    const result = await runCli(['init', 'my-flows'], sandbox, { cwd: sandbox });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const project = path.join(sandbox, 'my-flows');
    expect(filesBelow(project)).toEqual(STARTER_FILES);
    for (const file of STARTER_FILES) {
      expect(result.stdout).toContain(`created ${path.join('my-flows', file)}\n`);
    }
    expect(result.stdout).toContain('  cd my-flows\n');
    expect(result.stdout).toContain('taskflow run taskflows.hello --replay cassettes/hello.jsonl');
  });

  it('scaffolds files that validate and run offline from the cassette', async () => {
    const init = await runCli(['init'], sandbox, { cwd: sandbox });
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).not.toContain('  cd ');

    const validate = await runCli(['validate', '--strict', 'taskflows.hello'], sandbox, {
      cwd: sandbox,
    });
    expect(validate.stderr).toBe('');
    expect(validate.code).toBe(0);
    expect(validate.stdout).toMatch(/^valid: taskflows\.hello\b/);

    const run = await runCli(
      ['run', 'taskflows.hello', '--replay', 'cassettes/hello.jsonl', '--output', 'plain'],
      sandbox,
      { cwd: sandbox, env: OFFLINE },
    );
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(run.code, run.stderr).toBe(0);
    // The shell task's list, one agent run per item, the real echo MCP server answering.
    expect(run.stdout).toContain('task 1 list-names succeeded');
    expect(run.stdout).toContain('The echo tool returned: "Tool echo: Hello, Ada!".');
    expect(run.stdout).toContain('The echo tool returned: "Tool echo: Hello, Grace!".');
    expect(run.stdout).toMatch(/taskflow taskflows\.hello succeeded .*exit code 0/);
  });

  it('runs from another directory with --path', async () => {
    await runCli(['init', 'flows'], sandbox, { cwd: sandbox });
    const elsewhere = path.join(sandbox, 'elsewhere');
    fs.mkdirSync(elsewhere);
    const run = await runCli(
      [
        'run',
        '--path',
        '../flows',
        'taskflows.hello',
        '--replay',
        '../flows/cassettes/hello.jsonl',
        '--output',
        'plain',
      ],
      sandbox,
      { cwd: elsewhere, env: OFFLINE },
    );
    expect(run.code, run.stderr).toBe(0);
  });

  it('refuses to overwrite: a usage error naming the file, and nothing written', async () => {
    const project = path.join(sandbox, 'flows');
    fs.mkdirSync(path.join(project, 'taskflows'), { recursive: true });
    fs.writeFileSync(path.join(project, 'taskflows', 'hello.yaml'), 'mine\n');
    const result = await runCli(['init', 'flows'], sandbox, { cwd: sandbox });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `taskflow: init: ${path.join('flows', 'taskflows', 'hello.yaml')} already exists; nothing was written (choose an empty directory: taskflow init <dir>)\n`,
    );
    expect(filesBelow(project)).toEqual(['taskflows/hello.yaml']);
    expect(fs.readFileSync(path.join(project, 'taskflows', 'hello.yaml'), 'utf8')).toBe('mine\n');
  });

  it('refuses a second init in the same place, counting the files that exist', async () => {
    expect((await runCli(['init'], sandbox, { cwd: sandbox })).code).toBe(0);
    const again = await runCli(['init', '.'], sandbox, { cwd: sandbox });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(
      /^taskflow: init: cassettes\/hello\.jsonl already exists \(and 3 more starter files\); nothing was written/,
    );
  });

  it('refuses a target that is a file', async () => {
    fs.writeFileSync(path.join(sandbox, 'notes.txt'), '');
    const result = await runCli(['init', 'notes.txt'], sandbox, { cwd: sandbox });
    expect(result).toMatchObject({
      code: 2,
      stdout: '',
      stderr: 'taskflow: init: notes.txt is not a directory\n',
    });
  });

  it('copies the starter that ships in the package (examples/starter)', async () => {
    await runCli(['init'], sandbox, { cwd: sandbox });
    for (const file of STARTER_FILES) {
      expect(fs.readFileSync(path.join(sandbox, file), 'utf8'), file).toBe(
        fs.readFileSync(path.join(REPO_ROOT, 'examples/starter', file), 'utf8'),
      );
    }
  });
});
