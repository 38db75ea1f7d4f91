import fs from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { normaliseVersion } from './check-header.js';
import { BUNDLE_PREFIXES, type SearchRoots } from './resolve-reference.js';
import { HEADER_KEY } from './header-key.js';
import { FILETYPES, type Filetype } from './types.js';

export interface ListedDefinition {
  /** The dotted name that resolves to this file (first root wins). */
  readonly name: string;
  readonly filetype: Filetype;
  readonly filePath: string;
}

const MAX_DEPTH = 4;
const SKIPPED = new Set(['node_modules', 'dist', 'coverage', 'test', 'tests']);

function headerFiletype(filePath: string): Filetype | undefined {
  try {
    const source = fs.readFileSync(filePath, 'utf8');
    if (!source.includes(HEADER_KEY)) return undefined;
    const value = parseDocument(source).toJS() as Record<string, unknown> | null;
    const header = value?.[HEADER_KEY] as { version?: unknown; filetype?: unknown } | undefined;
    if (!header || normaliseVersion(header.version) === undefined) return undefined;
    return (FILETYPES as readonly unknown[]).includes(header.filetype)
      ? (header.filetype as Filetype)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Definition files reachable by dotted name from the search roots (not npm packages). */
export function listDefinitions(roots: SearchRoots): ListedDefinition[] {
  const found = new Map<string, ListedDefinition>();
  const visit = (directory: string, trail: string[], depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(directory, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(directory, entry.name);
      if (entry.isDirectory()) {
        if (depth < MAX_DEPTH && !SKIPPED.has(entry.name) && /^[A-Za-z0-9_-]+$/.test(entry.name)) {
          visit(full, [...trail, entry.name], depth + 1);
        }
        continue;
      }
      const match = /^([A-Za-z0-9_-]+)\.ya?ml$/.exec(entry.name);
      if (!match?.[1] || trail.length === 0) continue;
      const name = [...trail, match[1]].join('.');
      if (found.has(name)) continue;
      const filetype = headerFiletype(full);
      if (filetype) found.set(name, { name, filetype, filePath: full });
    }
  };
  for (const directory of [...roots.searchPaths, roots.workingDirectory]) {
    visit(path.resolve(roots.workingDirectory, directory), [], 0);
  }
  for (const folder of ['taskflows', 'personalities', 'toolboxes', 'prompts', 'model_configs']) {
    visit(path.join(roots.bundleRoot, folder), [BUNDLE_PREFIXES[0], folder], 1);
  }
  return [...found.values()];
}
