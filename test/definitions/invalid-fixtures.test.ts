import { execFile, type ExecFileException } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DefinitionLoader } from '../../src/definitions/definition-loader.js';
import { formatIssue } from '../../src/definitions/issues.js';
import { validateReferences } from '../../src/definitions/validate-references.js';
import { isTaskflowError, TaskflowError } from '../../src/errors.js';
import { createTemplateRenderer } from '../../src/templates/template-renderer.js';

/**
 * The corpus of invalid definition files: each `invalid/<name>.yaml` states in leading
 * `# expect: [file:]line:col text` comments the issues it must produce (text is a substring
 * of `field.path: message`; file defaults to the fixture itself). A fixture that cannot hold
 * comments (the empty file) keeps them in `invalid/<name>.expect`.
 */

const REPO_ROOT = path.resolve(fileURLToPath(import.meta.url), '../../..');
const FIXTURE_ROOT = path.join(REPO_ROOT, 'test/fixtures/definitions');
const INVALID_DIR = path.join(FIXTURE_ROOT, 'invalid');
const CLI = path.join(REPO_ROOT, 'bin/taskflow.js');
const MIN_FIXTURES = 45;
const CLI_CONCURRENCY = 4;
const STACK_LINE = /^\s+at /m;

interface Expectation {
  /** `invalid/x.yaml:12:9`, relative to the fixture root. */
  readonly where: string;
  readonly text: string;
}

const fixtures = fs
  .readdirSync(INVALID_DIR)
  .filter((name) => name.endsWith('.yaml'))
  .sort();

function expectationsOf(name: string): Expectation[] {
  const sidecar = path.join(INVALID_DIR, name.replace(/\.yaml$/, '.expect'));
  const source = fs.readFileSync(
    fs.existsSync(sidecar) ? sidecar : path.join(INVALID_DIR, name),
    'utf8',
  );
  const expectations: Expectation[] = [];
  for (const line of source.split(/\r?\n/)) {
    if (!line.startsWith('#')) break;
    const match = /^# expect: (?:(\S+?):)?(\d+):(\d+) (.+)$/.exec(line);
    if (!match) continue;
    const [, file, lineNumber, column, text] = match;
    expectations.push({
      where: `${file ?? `invalid/${name}`}:${lineNumber}:${column}`,
      text: text ?? '',
    });
  }
  return expectations;
}

/** Formatted issues of validating one fixture in-process, and how many are errors. */
function validateInProcess(name: string): { lines: string[]; errors: string[] } {
  const templates = createTemplateRenderer({
    environment: {},
    resolvePrompt: (prompt) => {
      throw new TaskflowError(
        'reference-unresolved',
        `prompt "${prompt}" is not available while validating syntax`,
      );
    },
  });
  const loader = new DefinitionLoader({
    roots: { searchPaths: [], workingDirectory: FIXTURE_ROOT, bundleRoot: REPO_ROOT },
    templates,
  });
  try {
    validateReferences(loader, [`invalid/${name}`]);
  } catch (error) {
    if (!isTaskflowError(error)) throw error;
    return { lines: [error.message], errors: [error.message] };
  }
  const format = (issue: (typeof loader.issues.issues)[number]) => formatIssue(issue, FIXTURE_ROOT);
  return { lines: loader.issues.issues.map(format), errors: loader.issues.errors.map(format) };
}

function matches(line: string, expectation: Expectation): boolean {
  return (
    line.startsWith(`${expectation.where} `) &&
    line.slice(expectation.where.length + 1).includes(expectation.text)
  );
}

describe('invalid definition fixtures', () => {
  it(`has at least ${MIN_FIXTURES} fixtures`, () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(MIN_FIXTURES);
  });

  it.each(fixtures)('%s reports what it expects', (name) => {
    const expectations = expectationsOf(name);
    expect(expectations.length, 'fixture declares no "# expect:" line').toBeGreaterThan(0);
    const { lines, errors } = validateInProcess(name);
    expect(errors.length, `no error reported; issues: ${JSON.stringify(lines)}`).toBeGreaterThan(0);
    for (const expectation of expectations) {
      expect(
        lines.some((line) => matches(line, expectation)),
        `expected "${expectation.where} …${expectation.text}" in:\n${lines.join('\n')}`,
      ).toBe(true);
    }
    // Every error is part of the fixture's contract: noise (a second, misleading error) fails.
    const unexpected = errors.filter(
      (line) => !expectations.some((expectation) => matches(line, expectation)),
    );
    expect(unexpected).toEqual([]);
  });
});

interface CliResult {
  readonly code: number | string | null | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

const execFileAsync = promisify(execFile);
const cliEnvironment = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) => name !== 'TASK_AGENT_DEBUG' && name !== 'TASKFLOW_PATH',
  ),
);

async function runValidate(name: string): Promise<CliResult> {
  try {
    const { stdout, stderr } = await execFileAsync(
      process.execPath,
      [CLI, 'validate', `invalid/${name}`],
      {
        cwd: FIXTURE_ROOT,
        env: cliEnvironment,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as ExecFileException & { stdout?: string; stderr?: string };
    return { code: failure.code, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' };
  }
}

/** Run `task` over `items`, at most `limit` at a time, keeping the order of results. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** What is wrong with one CLI run, as readable lines (empty when all is well). */
function cliProblems(name: string, result: CliResult): string[] {
  const first = expectationsOf(name)[0];
  const problems: string[] = [];
  if (result.code !== 2) problems.push(`exit code ${String(result.code)}, expected 2`);
  if (first && !result.stderr.includes(`${first.where} `))
    problems.push(`stderr lacks ${first.where}`);
  if (STACK_LINE.test(result.stderr)) problems.push('stderr has a stack trace');
  if (result.stdout !== '') problems.push(`stdout not empty: ${JSON.stringify(result.stdout)}`);
  return problems.map(
    (problem) => `${name}: ${problem}${problem.startsWith('stdout') ? '' : `\n${result.stderr}`}`,
  );
}

describe('taskflow validate on invalid fixtures (built CLI)', () => {
  const chunkCount = 3;
  const chunkSize = Math.ceil(fixtures.length / chunkCount);
  const chunks = Array.from({ length: chunkCount }, (_, index) =>
    fixtures.slice(index * chunkSize, (index + 1) * chunkSize),
  ).filter((chunk) => chunk.length > 0);

  it.each(chunks.map((chunk, index) => [index + 1, chunk] as const))(
    'chunk %i: exit 2, positioned message on stderr, no stack trace',
    async (_index, chunk) => {
      expect(
        fs.existsSync(path.join(REPO_ROOT, 'dist/cli/main.js')),
        'build first: npx tsc -p tsconfig.build.json',
      ).toBe(true);
      const results = await mapLimited(chunk, CLI_CONCURRENCY, runValidate);
      const problems = chunk.flatMap((name, index) =>
        cliProblems(name, results[index] as CliResult),
      );
      expect(problems).toEqual([]);
    },
    60_000,
  );
});
