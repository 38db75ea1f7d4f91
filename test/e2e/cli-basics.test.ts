import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { packagesInTrace } from './loaded-packages.js';

/** End-to-end: the built CLI (`npm test` builds first), spawned as a user would. */

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = path.join(REPO_ROOT, 'bin/taskflow.js');
const FIXTURES = path.join(REPO_ROOT, 'test/fixtures/definitions');
const TRACE_IMPORTS = pathToFileURL(
  path.join(REPO_ROOT, 'test/fixtures/trace-loaded-files.mjs'),
).href;

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The test process's environment minus what would change the CLI's behaviour. */
function childEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra };
  for (const name of ['TASKFLOW_PATH', 'TASK_AGENT_DEBUG', 'NODE_OPTIONS'])
    delete environment[name];
  return environment;
}

function runCli(
  args: readonly string[],
  options: { cwd?: string; nodeArgs?: readonly string[]; env?: Record<string, string> } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...(options.nodeArgs ?? []), CLI, ...args],
      { cwd: options.cwd ?? FIXTURES, env: childEnvironment(options.env), timeout: 20_000 },
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

function expectNoStack(result: CliResult): void {
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

let scratch: string;

beforeAll(() => {
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist/cli/main.js'))) {
    throw new Error('dist/ is missing: build first (npx tsc -p tsconfig.build.json)');
  }
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-cli-basics-'));
});

afterAll(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe('taskflow --help / --version / usage errors', () => {
  it('--help exits 0 and lists the commands and the compatibility flags', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    for (const command of ['validate', 'list', 'schema']) {
      expect(result.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
    for (const flag of ['-t <taskflow>', '-p <personality>', '--resume <id>', '-l ']) {
      expect(result.stdout).toContain(flag);
    }
    expect(result.stderr).toBe('');
  });

  it('--version prints the version of package.json', async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    const result = await runCli(['--version']);
    expect(result).toEqual({ code: 0, stdout: `${manifest.version}\n`, stderr: '' });
  });

  it.each([
    [['no-such-command'], `taskflow: unknown command 'no-such-command'; see "taskflow --help"`],
    [['--no-such-option'], `taskflow: unknown option '--no-such-option'; see "taskflow --help"`],
    [
      ['validate', '--no-such-option', 'x'],
      `taskflow: unknown option '--no-such-option'; see "taskflow validate --help"`,
    ],
    [['-t', 'flows.a', '-p', 'p.b', 'hi'], 'taskflow: options -t and -p cannot be combined'],
  ])('%j exits 2 with a one-line message and no stack', async (args, message) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`${message}\n`);
    expectNoStack(result);
  });
});

describe('taskflow validate', () => {
  it('exits 0 and says valid for a valid fixture', async () => {
    const result = await runCli([
      'validate',
      'valid/all_task_fields.yaml',
      'valid.more_task_fields',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^valid: valid\/all_task_fields\.yaml, valid\.more_task_fields — \d+ files checked\n$/,
    );
    expect(result.stderr).toBe('');
  });

  it('exits 2 with --strict when the only issue is an unknown-field warning', async () => {
    const file = path.join(scratch, 'typo.yaml');
    fs.writeFileSync(
      file,
      'seclab-taskflow-agent:\n  version: "1.0"\n  filetype: personality\npersonality: hi\ntoolboxs: []\n',
    );
    const lenient = await runCli(['validate', file]);
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toMatch(/^valid: .*\(1 warning\)\n$/);
    expect(lenient.stderr).toMatch(/typo\.yaml:5:1 .*warning: .*did you mean "toolboxes"/);
    const strict = await runCli(['validate', '--strict', file]);
    expect(strict.code).toBe(2);
    expect(strict.stdout).toBe('');
    expect(strict.stderr).toMatch(/^invalid: 1 error, 0 warnings in 1 file$/m);
    expectNoStack(strict);
  });

  it('prints parseable JSON with --json', async () => {
    const result = await runCli(['validate', '--json', 'valid/seclab_documented.yaml']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      valid: boolean;
      files: string[];
      issues: { severity: string; kind: string; line: number }[];
    };
    expect(report.valid).toBe(true);
    expect(report.files).toContain('valid/seclab_documented.yaml');
    expect(report.issues).toEqual([
      expect.objectContaining({ severity: 'warning', kind: 'unknown-model' }),
    ]);
  });

  it('exits 2 with a did-you-mean for an unknown dotted name', async () => {
    const result = await runCli(['validate', 'examples.personalities.fruit_exprt']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('did you mean "examples.personalities.fruit_expert"?');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expectNoStack(result);
  });
});

describe('taskflow list', () => {
  it('lists the definitions of the working directory and the bundled ones', async () => {
    const result = await runCli(['list']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^personalities$/m);
    expect(result.stdout).toMatch(
      /^ {2}examples\.personalities\.fruit_expert +examples\/personalities\/fruit_expert\.yaml$/m,
    );
    expect(result.stdout).toMatch(/^ {2}taskflow\.personalities\.assistant +/m);
    expect(result.stdout).toMatch(/^ {2}taskflow\.toolboxes\.memcache +/m);
    expect(result.stdout).toMatch(/^ {2}examples\.taskflows\.single_step_taskflow +/m);
  });

  it('filters by kind', async () => {
    const result = await runCli(['list', 'personality']);
    expect(result.code).toBe(0);
    const names = result.stdout
      .split('\n')
      .filter((line) => line.startsWith('  '))
      .map((line) => line.trim().split(/\s+/)[0]);
    expect(names).toEqual(
      expect.arrayContaining([
        'examples.personalities.auditor',
        'taskflow.personalities.c_auditer',
      ]),
    );
    expect(
      names.every((name) => name?.includes('personalities') || name?.startsWith('invalid.')),
    ).toBe(true);
    expect(result.stdout).not.toMatch(/^(taskflows|toolboxes|prompts|model configs)$/m);
  });
});

describe('taskflow schema', () => {
  it('prints one schema with a oneOf over the five filetypes', async () => {
    const result = await runCli(['schema']);
    expect(result.code).toBe(0);
    const schema = JSON.parse(result.stdout) as { oneOf: unknown[] };
    expect(schema.oneOf).toHaveLength(5);
  });

  it('prints the taskflow schema, which the valid fixtures conform to', async () => {
    const result = await runCli(['schema', 'taskflow']);
    expect(result.code).toBe(0);
    const schema = JSON.parse(result.stdout) as {
      properties: Record<string, { properties: { filetype: unknown } }>;
    };
    expect(schema.properties['seclab-taskflow-agent']?.properties.filetype).toEqual({
      const: 'taskflow',
    });
    const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema);
    for (const name of [
      'seclab_documented.yaml',
      'all_task_fields.yaml',
      'more_task_fields.yaml',
    ]) {
      const document: unknown = parse(fs.readFileSync(path.join(FIXTURES, 'valid', name), 'utf8'));
      expect({ name, errors: validate(document) ? null : validate.errors }).toEqual({
        name,
        errors: null,
      });
    }
    const personality: unknown = parse(
      fs.readFileSync(path.join(FIXTURES, 'examples/personalities/auditor.yaml'), 'utf8'),
    );
    expect(validate(personality)).toBe(false);
  });

  it('exits 2 for an unknown filetype', async () => {
    const result = await runCli(['schema', 'nope']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^taskflow: unknown filetype "nope"/);
    expectNoStack(result);
  });
});

describe('start-up stays light', () => {
  /** Packages whose code the CLI process loaded (ES modules and CommonJS files alike). */
  async function loadedPackages(args: readonly string[]): Promise<Set<string>> {
    const traceFile = path.join(scratch, `trace-${args.join('-').replace(/\W+/g, '_')}.txt`);
    const result = await runCli(args, {
      nodeArgs: ['--import', TRACE_IMPORTS],
      env: { TASKFLOW_TRACE_IMPORTS_FILE: traceFile },
    });
    expect(result.code).toBe(0);
    return packagesInTrace(traceFile);
  }

  it('--help loads neither the model, MCP, spinner nor definition libraries', async () => {
    const packages = await loadedPackages(['--help']);
    expect(packages).toContain('commander');
    for (const heavy of ['openai', '@modelcontextprotocol/sdk', 'ora', 'nunjucks', 'yaml', 'zod']) {
      expect(packages).not.toContain(heavy);
    }
  });

  it('validate loads no model, MCP or spinner library', async () => {
    const packages = await loadedPackages(['validate', 'valid/seclab_documented.yaml']);
    expect(packages).toContain('yaml');
    for (const heavy of ['openai', '@modelcontextprotocol/sdk', 'ora']) {
      expect(packages).not.toContain(heavy);
    }
  });
});
