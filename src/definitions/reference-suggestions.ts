import fs from 'node:fs';
import path from 'node:path';
import { bestOf, SuggestionIndex } from './did-you-mean.js';

/** A search root as the suggestions see it (see resolve-reference.ts). */
export interface SuggestionRoot {
  readonly directory: string;
  /** Dotted prefix that reaches this root. */
  readonly prefix: readonly string[];
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', 'coverage']);
/** Names listed per root at most: a suggestion is a courtesy, not a search engine. */
const MAX_NAMES = 5000;

/**
 * Suggestion indexes by what they list, per cache owner (the SearchRoots of one loader):
 * a command that reports thousands of unknown references lists each root once, and a new
 * loader sees files created since.
 */
const caches = new WeakMap<object, Map<string, SuggestionIndex>>();

function cached(owner: object, key: string, build: () => Iterable<string>): SuggestionIndex {
  let cache = caches.get(owner);
  if (!cache) {
    cache = new Map();
    caches.set(owner, cache);
  }
  let index = cache.get(key);
  if (!index) {
    index = new SuggestionIndex(build());
    cache.set(key, index);
  }
  return index;
}

/** The closest dotted names of YAML files at the reference's depth under the roots. */
export function suggestNames(
  owner: object,
  reference: string,
  roots: readonly SuggestionRoot[],
  depth: number,
): string[] {
  const scored = roots.flatMap((root) => {
    const below = depth - root.prefix.length;
    if (below < 1) return [];
    const key = `names\0${root.directory}\0${root.prefix.join('.')}\0${below}`;
    return cached(owner, key, () => namesUnder(root, below)).scored(reference);
  });
  return bestOf(scored, 3);
}

/** For a file-path reference that does not exist: the same path with the closest existing
 *  YAML file names of its folder, as the user would write them. */
export function suggestSiblingFiles(owner: object, reference: string, candidate: string): string[] {
  const folder = path.dirname(candidate);
  const index = cached(owner, `files\0${folder}`, () => {
    try {
      return fs.readdirSync(folder).filter((name) => /\.ya?ml$/i.test(name));
    } catch {
      return [];
    }
  });
  const written = path.basename(reference);
  const prefix = reference.slice(0, reference.length - written.length);
  return index.closest(written).map((name) => `${prefix}${name}`);
}

/** Dotted names of YAML files `below` folder levels under one root (at most MAX_NAMES). */
function namesUnder(root: SuggestionRoot, below: number): string[] {
  const names: string[] = [];
  const visit = (directory: string, trail: string[], remaining: number) => {
    if (names.length >= MAX_NAMES) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(directory, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      if (remaining === 1) {
        const match = /^([A-Za-z0-9_-]+)\.ya?ml$/.exec(entry.name);
        if (match?.[1] && (entry.isFile() || entry.isSymbolicLink()))
          names.push([...trail, match[1]].join('.'));
      } else if (
        entry.isDirectory() &&
        !SKIPPED_FOLDERS.has(entry.name) &&
        SEGMENT.test(entry.name)
      ) {
        visit(path.join(directory, entry.name), [...trail, entry.name], remaining - 1);
      }
    }
  };
  visit(root.directory, [...root.prefix], below);
  return names;
}
