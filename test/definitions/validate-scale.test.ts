import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type * as Yaml from 'yaml';
import { DefinitionLoader } from '../../src/definitions/definition-loader.js';
import { validateReferences } from '../../src/definitions/validate-references.js';
import { createTemplateRenderer } from '../../src/templates/template-renderer.js';

/**
 * Validation grows with the size of its input, not with its square (issue 10, defect 6).
 * Growth is measured by counting work, never by the clock: how many YAML nodes our code
 * inspects (the node guards of the `yaml` package, counted below) and how often a search
 * root is listed for did-you-mean suggestions.
 */

const counter = vi.hoisted(() => ({ inspections: 0 }));

vi.mock('yaml', async (importOriginal) => {
  const actual = await importOriginal<typeof Yaml>();
  const counted =
    <A extends unknown[], R>(guard: (...args: A) => R) =>
    (...args: A): R => {
      counter.inspections += 1;
      return guard(...args);
    };
  return {
    ...actual,
    isAlias: counted(actual.isAlias),
    isMap: counted(actual.isMap),
    isNode: counted(actual.isNode),
    isPair: counted(actual.isPair),
    isScalar: counted(actual.isScalar),
    isSeq: counted(actual.isSeq),
  };
});

const HEADER = 'seclab-taskflow-agent:\n  version: "1.0"\n  filetype: taskflow\n';
/** Linear growth quadruples the work when the input quadruples; quadratic multiplies it by 16. */
const MAX_GROWTH = 5;

let base: string;

beforeAll(() => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-scale-')));
});

afterAll(() => {
  fs.rmSync(base, { recursive: true, force: true });
});

afterEach(() => {
  vi.restoreAllMocks();
});

function loaderFor(workingDirectory: string): DefinitionLoader {
  const templates = createTemplateRenderer({
    environment: {},
    resolvePrompt: (name) => {
      throw new Error(`no prompt resolution while validating (${name})`);
    },
  });
  return new DefinitionLoader({
    roots: { searchPaths: [], workingDirectory, bundleRoot: base },
    templates,
  });
}

/** A taskflow with `size` globals, `size` misplaced top-level keys and `size` tasks, each
 *  task with an unknown field and a repeated key: every part is reported with a position. */
function wideTaskflow(size: number): string {
  const lines = [HEADER, 'globals:'];
  for (let index = 0; index < size; index++) lines.push(`  global_${index}: value ${index}`);
  for (let index = 0; index < size; index++) lines.push(`misplaced_${index}: x`);
  lines.push('taskflow:');
  for (let index = 0; index < size; index++) {
    lines.push(
      '  - task:',
      `      run: echo ${index}`,
      `      name: first`,
      `      name: task ${index}`,
      `      extra_${index}: x`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** YAML nodes inspected and issues reported while validating a wide taskflow of `size`. */
function validateWide(size: number): { inspections: number; issues: number } {
  const folder = path.join(base, `wide-${size}`);
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, 'wide.yaml'), wideTaskflow(size));
  const loader = loaderFor(folder);
  counter.inspections = 0;
  validateReferences(loader, ['wide.yaml']);
  return { inspections: counter.inspections, issues: loader.issues.issues.length };
}

describe('validation work grows linearly', () => {
  it('positions of many globals, unknown fields and duplicate keys', () => {
    const small = validateWide(1000);
    const large = validateWide(4000);
    // every misplaced key, task field and repeated key is reported
    expect(small.issues).toBe(3 * 1000);
    expect(large.issues).toBe(3 * 4000);
    expect(small.inspections).toBeGreaterThan(0);
    const growth = large.inspections / small.inspections;
    expect(growth, `inspections: ${small.inspections} -> ${large.inspections}`).toBeLessThanOrEqual(
      MAX_GROWTH,
    );
  });

  it('lists each search root once for 5,000 unknown references', () => {
    const folder = path.join(base, 'unknown-references');
    fs.mkdirSync(path.join(folder, 'personalities'), { recursive: true });
    fs.mkdirSync(path.join(folder, 'other'), { recursive: true });
    for (const name of ['helper', 'reviewer', 'auditor']) {
      fs.writeFileSync(
        path.join(folder, 'personalities', `${name}.yaml`),
        `${HEADER.replace('taskflow\n', 'personality\n')}personality: p\ntask: t\n`,
      );
    }
    const count = 5000;
    const agents = Array.from({ length: count }, (_, index) => `personalities.unknown_${index}`);
    agents.push('personalities.helpr');
    fs.writeFileSync(
      path.join(folder, 'flow.yaml'),
      `${HEADER}taskflow:\n  - task:\n      user_prompt: hi\n      agents:\n${agents.map((agent) => `        - ${agent}\n`).join('')}`,
    );
    const listed = new Map<string, number>();
    const readdirSync = fs.readdirSync.bind(fs);
    vi.spyOn(fs, 'readdirSync').mockImplementation(((directory: fs.PathLike, options?: unknown) => {
      const key = String(directory);
      listed.set(key, (listed.get(key) ?? 0) + 1);
      return readdirSync(directory, options as never);
    }) as typeof fs.readdirSync);
    const loader = loaderFor(folder);
    validateReferences(loader, ['flow.yaml']);
    const unknown = loader.issues.errors.filter((issue) => issue.kind === 'unknown-reference');
    expect(unknown).toHaveLength(count + 1);
    expect(unknown.at(-1)?.message).toContain('did you mean "personalities.helper"?');
    expect(listed.size).toBeGreaterThan(0);
    const repeated = [...listed].filter(([, times]) => times > 1);
    expect(repeated).toEqual([]);
  });
});
