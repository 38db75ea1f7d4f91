import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
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

describe('Python site-packages (pip-installed packs)', () => {
  let site: string;
  let otherSite: string;
  let lookups: number;
  let pythonRoots: SearchRoots;

  beforeAll(() => {
    site = path.join(base, 'venv/lib/python3.12/site-packages');
    otherSite = path.join(base, 'user-site');
    write('venv/lib/python3.12/site-packages/mypack/__init__.py', '');
    write('venv/lib/python3.12/site-packages/mypack/taskflows/flow.yaml');
    write('venv/lib/python3.12/site-packages/mypack/taskflows/only_yml.yml');
    // a namespace package: no __init__.py anywhere
    write('venv/lib/python3.12/site-packages/nspack/personalities/helper.yaml');
    write('user-site/nspack/personalities/second.yaml');
    write('user-site/nspack/personalities/helper.yaml');
    write('user-site/my_flows/taskflows/shadowed.yaml');
    write('venv/lib/python3.12/site-packages/seclab_taskflow_agent/personalities/extra.yaml');
    write('elsewhere/secret.yaml');
    fs.symlinkSync(
      path.join(base, 'elsewhere/secret.yaml'),
      path.join(site, 'mypack/taskflows/leak.yaml'),
    );
    pythonRoots = {
      ...roots,
      pythonSitePackages: () => {
        lookups += 1;
        return [site, otherSite];
      },
    };
  });

  beforeEach(() => {
    lookups = 0;
  });

  it('resolves pkg.sub.name to <site>/pkg/sub/name.yaml', () => {
    expect(resolved('mypack.taskflows.flow', pythonRoots)).toBe(
      path.join(site, 'mypack/taskflows/flow.yaml'),
    );
    expect(resolved('mypack.taskflows.only_yml', pythonRoots)).toBe(
      path.join(site, 'mypack/taskflows/only_yml.yml'),
    );
    expect(lookups).toBe(2);
  });

  it('finds namespace packages (no __init__.py), first site folder first', () => {
    expect(resolved('nspack.personalities.helper', pythonRoots)).toBe(
      path.join(site, 'nspack/personalities/helper.yaml'),
    );
    expect(resolved('nspack.personalities.second', pythonRoots)).toBe(
      path.join(otherSite, 'nspack/personalities/second.yaml'),
    );
  });

  it('does not look for site-packages when an earlier root has the name', () => {
    expect(resolved('flows.cwd_only', pythonRoots)).toBe(
      path.join(roots.workingDirectory, 'flows/cwd_only.yaml'),
    );
    expect(resolved('my_flows.taskflows.shadowed', pythonRoots)).toBe(
      path.join(roots.workingDirectory, 'my_flows/taskflows/shadowed.yaml'),
    );
    expect(resolved('my-flows.taskflows.audit', pythonRoots)).toBe(
      path.join(base, 'project/node_modules/my-flows/taskflows/audit.yaml'),
    );
    expect(resolved('taskflow.personalities.assistant', pythonRoots)).toBe(
      path.join(base, 'bundle/personalities/assistant.yaml'),
    );
    expect(lookups).toBe(0);
  });

  it('never sends the bundle prefixes or one-part names to Python', () => {
    expect(failure('seclab_taskflow_agent.personalities.extra', pythonRoots).reason).toBe(
      'not found',
    );
    expect(failure('mypack', pythonRoots).reason).toBe('not found');
    expect(lookups).toBe(0);
  });

  it('lists the site-packages candidates where it looked, and suggests names there', () => {
    const miss = failure('mypack.taskflows.flwo', pythonRoots);
    expect(miss.lookedIn).toEqual([
      path.join(base, 'first/mypack/taskflows/flwo.yaml'),
      path.join(roots.workingDirectory, 'relative-extra/mypack/taskflows/flwo.yaml'),
      path.join(roots.workingDirectory, 'mypack/taskflows/flwo.yaml'),
      path.join(site, 'mypack/taskflows/flwo.yaml'),
      path.join(otherSite, 'mypack/taskflows/flwo.yaml'),
    ]);
    expect(miss.suggestions).toContain('mypack.taskflows.flow');
    expect(lookups).toBe(1);
  });

  it('refuses a link that leaves the package folder', () => {
    expect(failure('mypack.taskflows.leak', pythonRoots).reason).toMatch(
      /is a link that leaves its root .*mypack$/,
    );
  });

  it('refuses bad segments before looking anywhere', () => {
    expect(failure('mypack..flow', pythonRoots).lookedIn).toEqual([]);
    expect(lookups).toBe(0);
  });
});
