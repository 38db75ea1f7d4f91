import fs from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefinitionLoader } from '../../src/definitions/definition-loader.js';
import { loadTaskflow, type LoadedTaskflow } from '../../src/definitions/load-taskflow.js';
import type { TaskDefinition, TemplateText } from '../../src/definitions/types.js';
import { createTemplateRenderer } from '../../src/templates/template-renderer.js';

/** Shared set-up of the valid-fixture tests (working directory = test/fixtures/definitions). */

export const FIXTURES = fileURLToPath(new URL('../fixtures/definitions/', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Absolute path of a file under test/fixtures/definitions. */
export const fixture = (relative: string): string => path.join(FIXTURES, relative);
/** Absolute path of a file of the runner's bundle (repo root). */
export const bundled = (relative: string): string => path.join(REPO_ROOT, relative);

export function createLoader(workingDirectory: string = FIXTURES): DefinitionLoader {
  const templates = createTemplateRenderer({
    environment: {},
    resolvePrompt: (name) => {
      throw new Error(`no prompt resolution while loading (${name})`);
    },
  });
  return new DefinitionLoader({
    roots: { searchPaths: [], workingDirectory, bundleRoot: REPO_ROOT },
    templates,
  });
}

export function loadFixture(reference: string): {
  loaded: LoadedTaskflow;
  loader: DefinitionLoader;
} {
  const loader = createLoader();
  return { loaded: loadTaskflow(loader, reference), loader };
}

/** A task as plain data: templates as their text, without positions and `explicit`. */
export function summary(task: TaskDefinition | undefined): Record<string, unknown> {
  if (!task) throw new Error('missing task');
  const text = (template: TemplateText | undefined) => template?.text;
  const { position: _position, explicit: _explicit, ...rest } = task;
  return {
    ...rest,
    userPrompt: text(task.userPrompt),
    if: text(task.if),
    over: text(task.over),
    env: Object.fromEntries(Object.entries(task.env).map(([key, value]) => [key, value.text])),
  };
}

/** grammar.md defaults of a task that sets nothing. */
export const TASK_DEFAULTS = {
  agents: [],
  inputs: {},
  modelSettings: {},
  blockedTools: [],
  headless: false,
  mustComplete: false,
  maxSteps: 50,
  excludeFromContext: false,
  repeatPrompt: false,
  async: false,
  asyncLimit: 5,
  env: {},
  capture: 'tool_result',
  modelConcurrency: 0,
  completion: 'all',
} as const;

export const sha256 = (filePath: string): string =>
  createHash('sha256').update(fs.readFileSync(filePath, 'utf8')).digest('hex');
