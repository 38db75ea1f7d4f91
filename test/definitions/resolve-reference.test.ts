import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isFilePathReference,
  resolveReference,
  type Resolution,
  type SearchRoots,
} from '../../src/definitions/resolve-reference.js';
import { searchPaths } from '../../src/cli/runtime-context.js';

let base: string;
/** <base>/project/work is the working directory; everything else hangs around it. */
let roots: SearchRoots & { searchPaths: string[] };

function write(relative: string, text = 'x: 1\n'): string {
  const file = path.join(base, relative);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return fs.realpathSync(file);
}

function resolved(reference: string, searchRoots: SearchRoots = roots): string {
  const resolution = resolveReference(reference, searchRoots);
  if (!resolution.ok) throw new Error(`${reference}: ${resolution.reason}`);
  return resolution.filePath;
}

function failure(reference: string, searchRoots: SearchRoots = roots) {
  const resolution: Resolution = resolveReference(reference, searchRoots);
  if (resolution.ok) throw new Error(`${reference} resolved to ${resolution.filePath}`);
  return resolution;
}

beforeAll(() => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-resolve-')));
  roots = {
    searchPaths: [path.join(base, 'first'), 'relative-extra'],
    workingDirectory: path.join(base, 'project', 'work'),
    bundleRoot: path.join(base, 'bundle'),
  };
  write('first/flows/everywhere.yaml');
  write('project/work/relative-extra/flows/everywhere.yaml');
  write('project/work/relative-extra/flows/second_only.yaml');
  write('project/work/flows/everywhere.yaml');
  write('project/work/flows/second_only.yaml');
  write('project/work/flows/cwd_only.yaml');
  write('project/work/flows/only_yml.yml');
  write('project/work/flows/both.yaml');
  write('project/work/flows/both.yml');
  write('project/work/flows/nested/deep/name.yaml');
  write('project/work/my_flows/taskflows/shadowed.yaml');
  // an npm package installed in a parent of the working directory
  write('project/node_modules/my-flows/package.json', '{"name":"my-flows"}');
  write('project/node_modules/my-flows/taskflows/audit.yaml');
  write('project/node_modules/my-flows/taskflows/shadowed.yaml');
  write('project/node_modules/not-a-package/taskflows/audit.yaml');
  write('bundle/personalities/assistant.yaml');
  write('bundle/toolboxes/echo.yaml');
  write('project/work/taskflow/personalities/local.yaml');
  write('outside/secret.yaml');
  fs.symlinkSync(
    path.join(base, 'outside/secret.yaml'),
    path.join(roots.workingDirectory, 'flows/leak.yaml'),
  );
  fs.symlinkSync(path.join(base, 'outside'), path.join(roots.workingDirectory, 'linked'));
  fs.symlinkSync(
    path.join(roots.workingDirectory, 'flows/cwd_only.yaml'),
    path.join(roots.workingDirectory, 'flows/alias.yaml'),
  );
});

afterAll(() => {
  fs.rmSync(base, { recursive: true, force: true });
});

describe('search roots and their order', () => {
  it('tries --path dirs, then TASKFLOW_PATH entries, then the working directory', () => {
    expect(searchPaths(['a', 'b'], { TASKFLOW_PATH: ['c', '', 'd'].join(path.delimiter) })).toEqual(
      ['a', 'b', 'c', 'd'],
    );
    expect(resolved('flows.everywhere')).toBe(path.join(base, 'first/flows/everywhere.yaml'));
    expect(failure('flows.missing').lookedIn).toEqual([
      path.join(base, 'first/flows/missing.yaml'),
      path.join(roots.workingDirectory, 'relative-extra/flows/missing.yaml'),
      path.join(roots.workingDirectory, 'flows/missing.yaml'),
    ]);
  });

  it('resolves relative search paths against the working directory', () => {
    expect(resolved('flows.second_only')).toBe(
      path.join(roots.workingDirectory, 'relative-extra/flows/second_only.yaml'),
    );
  });

  it('falls back to the working directory, at any depth', () => {
    expect(resolved('flows.cwd_only')).toBe(
      path.join(roots.workingDirectory, 'flows/cwd_only.yaml'),
    );
    expect(resolved('flows.nested.deep.name')).toBe(
      path.join(roots.workingDirectory, 'flows/nested/deep/name.yaml'),
    );
  });

  it('uses .yml when there is no .yaml, and prefers .yaml', () => {
    expect(resolved('flows.only_yml')).toBe(
      path.join(roots.workingDirectory, 'flows/only_yml.yml'),
    );
    expect(resolved('flows.both')).toBe(path.join(roots.workingDirectory, 'flows/both.yaml'));
  });

  it('roots a first segment naming an installed npm package at its folder (_ or -)', () => {
    const packaged = path.join(base, 'project/node_modules/my-flows/taskflows/audit.yaml');
    expect(resolved('my-flows.taskflows.audit')).toBe(packaged);
    expect(resolved('my_flows.taskflows.audit')).toBe(packaged);
    expect(failure('not-a-package.taskflows.audit').reason).toBe('not found');
  });

  it('searches the working directory before npm packages', () => {
    expect(resolved('my_flows.taskflows.shadowed')).toBe(
      path.join(roots.workingDirectory, 'my_flows/taskflows/shadowed.yaml'),
    );
    expect(resolved('my-flows.taskflows.shadowed')).toBe(
      path.join(base, 'project/node_modules/my-flows/taskflows/shadowed.yaml'),
    );
  });

  it('reaches the bundle as taskflow.* and seclab_taskflow_agent.*, after the working directory', () => {
    const assistant = path.join(base, 'bundle/personalities/assistant.yaml');
    expect(resolved('taskflow.personalities.assistant')).toBe(assistant);
    expect(resolved('seclab_taskflow_agent.personalities.assistant')).toBe(assistant);
    expect(resolved('seclab_taskflow_agent.toolboxes.echo')).toBe(
      path.join(base, 'bundle/toolboxes/echo.yaml'),
    );
    expect(resolved('taskflow.personalities.local')).toBe(
      path.join(roots.workingDirectory, 'taskflow/personalities/local.yaml'),
    );
    expect(failure('taskflow.personalities.nobody').lookedIn.at(-1)).toBe(
      path.join(base, 'bundle/personalities/nobody.yaml'),
    );
    expect(failure('personalities.assistant').reason).toBe('not found');
  });
});

describe('file-path references', () => {
  it('recognises paths by a slash or a YAML extension', () => {
    expect(isFilePathReference('./a/b.yaml')).toBe(true);
    expect(isFilePathReference('flows/x')).toBe(true);
    expect(isFilePathReference('x.yml')).toBe(true);
    expect(isFilePathReference('flows.x')).toBe(false);
  });

  it('resolves relative to the working directory (not the search paths)', () => {
    const cwdFile = path.join(roots.workingDirectory, 'flows/cwd_only.yaml');
    expect(resolved('./flows/cwd_only.yaml')).toBe(cwdFile);
    expect(resolved('flows/cwd_only.yaml')).toBe(cwdFile);
    expect(resolved(cwdFile)).toBe(cwdFile);
    expect(resolved('../node_modules/my-flows/taskflows/audit.yaml')).toBe(
      path.join(base, 'project/node_modules/my-flows/taskflows/audit.yaml'),
    );
    expect(failure('flows/zzzzzzzzzzzz.yaml')).toEqual({
      ok: false,
      reason: 'file not found',
      lookedIn: [path.join(roots.workingDirectory, 'flows/zzzzzzzzzzzz.yaml')],
      suggestions: [],
    });
  });

  it('suggests a near miss next to a missing file, in the form written', () => {
    expect(failure('./flows/cwd_onyl.yaml').suggestions).toEqual(['./flows/cwd_only.yaml']);
  });

  it('returns the real path of a linked file', () => {
    expect(resolved('flows/alias.yaml')).toBe(
      path.join(roots.workingDirectory, 'flows/cwd_only.yaml'),
    );
  });
});

describe('refused references', () => {
  it.each(['a..b', 'a.b c', '.a.b', 'a.b.', '..', 'a.b$', 'a.*'])('refuses %j', (reference) => {
    const resolution = failure(reference);
    expect(resolution.reason).toMatch(/^(invalid segment |empty part between dots)/);
    expect(resolution.lookedIn).toEqual([]);
  });

  it('refuses a linked file that leaves its root', () => {
    expect(failure('flows.leak').reason).toMatch(/is a link that leaves its root/);
  });

  it('refuses a linked folder that leaves its root', () => {
    expect(failure('linked.secret').reason).toMatch(/is a link that leaves its root/);
  });

  it('accepts a link that stays inside its root', () => {
    expect(resolved('flows.alias')).toBe(path.join(roots.workingDirectory, 'flows/cwd_only.yaml'));
  });
});

describe('did-you-mean suggestions', () => {
  it('suggests a near miss in the same folder', () => {
    expect(failure('flows.cwd_onyl').suggestions).toEqual(['flows.cwd_only']);
  });

  it('suggests the right folder for a folder typo', () => {
    expect(failure('flow.cwd_only').suggestions).toEqual(['flows.cwd_only']);
  });

  it('suggests names under the bundle and npm packages with their prefix', () => {
    expect(failure('taskflow.personalities.asistant').suggestions).toContain(
      'taskflow.personalities.assistant',
    );
    expect(failure('my_flows.taskflows.audti').suggestions).toContain('my_flows.taskflows.audit');
  });

  it('suggests nothing when nothing is close', () => {
    expect(failure('flows.zzzzzzzzzzzz').suggestions).toEqual([]);
  });
});
