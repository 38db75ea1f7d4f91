import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssue } from '../../src/definitions/issues.js';
import { validateReferences } from '../../src/definitions/validate-references.js';
import { createLoader, REPO_ROOT } from './valid-fixture-kit.js';

const SHIPPED_FOLDERS = ['taskflows', 'personalities', 'toolboxes', 'prompts', 'model_configs'];

/** Every .yaml/.yml below a folder (recursively); a missing folder holds nothing. */
function yamlFiles(directory: string): string[] {
  if (!fs.existsSync(directory)) return [];
  return fs
    .readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.ya?ml$/i.test(name))
    .map((name) => path.join(directory, name))
    .sort();
}

const shipped = SHIPPED_FOLDERS.flatMap((folder) => yamlFiles(path.join(REPO_ROOT, folder)));

describe('YAML files shipped in the package', () => {
  it('include the bundled personalities and toolboxes', () => {
    const names = shipped.map((file) => path.relative(REPO_ROOT, file));
    expect(names).toEqual(
      expect.arrayContaining([
        'personalities/assistant.yaml',
        'personalities/c_auditer.yaml',
        'toolboxes/echo.yaml',
        'toolboxes/memcache.yaml',
        'toolboxes/logbook.yaml',
        'toolboxes/github_official.yaml',
      ]),
    );
  });

  it.each(shipped.map((file) => [path.relative(REPO_ROOT, file), file]))(
    '%s validates with no errors',
    (_name, file) => {
      const loader = createLoader(REPO_ROOT);
      const loaded = validateReferences(loader, [file]);
      expect(loader.issues.errors.map((issue) => formatIssue(issue, REPO_ROOT))).toEqual([]);
      expect(loaded).toHaveLength(1);
    },
  );
});
