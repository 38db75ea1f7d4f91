import fs from 'node:fs';
import path from 'node:path';
import { suggestNames, suggestSiblingFiles } from './reference-suggestions.js';

/** Where dotted names are looked up, in order (grammar.md "Import paths"). */
export interface SearchRoots {
  /** `--path` dirs, then `TASKFLOW_PATH` entries. */
  readonly searchPaths: readonly string[];
  readonly workingDirectory: string;
  /** The runner's package root (holds taskflows/, personalities/, ...). */
  readonly bundleRoot: string;
  /**
   * Folders of the Python module search path where pip installs packages (see
   * python-site-packages.ts). Called only when a name is found in no other root, so a
   * name that resolves earlier never pays for finding them.
   */
  readonly pythonSitePackages?: () => readonly string[];
}

export type Resolution =
  | { readonly ok: true; readonly filePath: string }
  | {
      readonly ok: false;
      /** Why, without the reference itself (`not found`, `invalid segment ".."`). */
      readonly reason: string;
      readonly lookedIn: readonly string[];
      readonly suggestions: readonly string[];
    };

/** Prefixes that name the runner's own bundle. */
export const BUNDLE_PREFIXES = ['taskflow', 'seclab_taskflow_agent'] as const;
const SEGMENT = /^[A-Za-z0-9_-]+$/;
const EXTENSIONS = ['.yaml', '.yml'];

/** A reference is a file path if it contains a slash or ends in .yaml/.yml. */
export function isFilePathReference(reference: string): boolean {
  return /[\\/]/.test(reference) || /\.ya?ml$/i.test(reference);
}

function isFile(candidate: string): boolean {
  try {
    return fs.statSync(candidate).isFile();
  } catch {
    return false;
  }
}

function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

function realOrSelf(target: string): string {
  try {
    return fs.realpathSync(target);
  } catch {
    return target;
  }
}

interface Root {
  readonly directory: string;
  /** Segments of the reference below this root. */
  readonly segments: readonly string[];
  /** Dotted prefix that reaches this root (for suggestions). */
  readonly prefix: readonly string[];
}

/** Folder of an installed npm package named by `segment` (`my_flows` or `my-flows`). */
function findPackageRoot(segment: string, workingDirectory: string): string | undefined {
  const names = [...new Set([segment, segment.replace(/_/g, '-')])];
  let directory = workingDirectory;
  for (;;) {
    for (const name of names) {
      const candidate = path.join(directory, 'node_modules', name);
      if (isFile(path.join(candidate, 'package.json'))) return candidate;
    }
    const parent = path.dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}

/**
 * Roots for a pip-installed package named by the first segment, one per Python package
 * folder, like an npm package root: `mypack.taskflows.flow` is `<site>/mypack/taskflows/flow`.
 * Names under the bundle's prefixes never fall through to Python: a pip-installed
 * seclab-taskflow-agent would answer for names the bundle lacks with files that need its
 * Python servers, depending on which virtualenv happens to be active.
 */
function pythonRootsFor(segments: readonly string[], roots: SearchRoots): Root[] {
  const [first, ...rest] = segments;
  if (first === undefined || rest.length === 0 || !roots.pythonSitePackages) return [];
  if ((BUNDLE_PREFIXES as readonly string[]).includes(first)) return [];
  return roots.pythonSitePackages().map((folder) => ({
    directory: path.join(folder, first),
    segments: rest,
    prefix: [first],
  }));
}

function rootsFor(segments: readonly string[], roots: SearchRoots): Root[] {
  const result: Root[] = [];
  for (const directory of [...roots.searchPaths, roots.workingDirectory]) {
    result.push({
      directory: path.resolve(roots.workingDirectory, directory),
      segments,
      prefix: [],
    });
  }
  const [first, ...rest] = segments;
  if (first !== undefined && rest.length >= 1) {
    const packageRoot = findPackageRoot(first, roots.workingDirectory);
    if (packageRoot) result.push({ directory: packageRoot, segments: rest, prefix: [first] });
    if ((BUNDLE_PREFIXES as readonly string[]).includes(first)) {
      result.push({ directory: roots.bundleRoot, segments: rest, prefix: [first] });
    }
  }
  return result;
}

/**
 * Resolve a reference to an absolute real file path. Never throws: failures carry where
 * we looked and the closest existing names (the folders listed for those are listed once
 * per `roots` object, see reference-suggestions.ts).
 */
export function resolveReference(reference: string, roots: SearchRoots): Resolution {
  if (isFilePathReference(reference)) {
    const candidate = path.resolve(roots.workingDirectory, reference);
    if (isFile(candidate)) return { ok: true, filePath: realOrSelf(candidate) };
    return {
      ok: false,
      reason: 'file not found',
      lookedIn: [candidate],
      suggestions: suggestSiblingFiles(roots, reference, candidate),
    };
  }
  const segments = reference.split('.');
  const bad = segments.find((segment) => !SEGMENT.test(segment));
  if (bad !== undefined || segments.length === 0) {
    return {
      ok: false,
      reason: bad
        ? `invalid segment ${JSON.stringify(bad)} (each part of a dotted name must match [A-Za-z0-9_-]+; no "..", no absolute paths)`
        : 'empty part between dots (a dotted name cannot contain "..", nor start or end with ".")',
      lookedIn: [],
      suggestions: [],
    };
  }
  const lookedIn: string[] = [];
  const candidateRoots = rootsFor(segments, roots);
  const found = firstHit(candidateRoots, lookedIn);
  if (found) return found;
  const pythonRoots = pythonRootsFor(segments, roots);
  const foundInPython = firstHit(pythonRoots, lookedIn);
  if (foundInPython) return foundInPython;
  return {
    ok: false,
    reason: 'not found',
    lookedIn,
    suggestions: suggestNames(
      roots,
      reference,
      [...candidateRoots, ...pythonRoots],
      segments.length,
    ),
  };
}

/** The first root holding the file (or a refusal of a link leaving its root); records
 *  every candidate in `lookedIn`. Undefined when no root has it. */
function firstHit(candidateRoots: readonly Root[], lookedIn: string[]): Resolution | undefined {
  for (const root of candidateRoots) {
    const base = path.join(root.directory, ...root.segments);
    lookedIn.push(`${base}${EXTENSIONS[0]}`);
    for (const extension of EXTENSIONS) {
      const candidate = `${base}${extension}`;
      if (!isFile(candidate)) continue;
      const real = realOrSelf(candidate);
      if (!isInside(real, realOrSelf(root.directory))) {
        return {
          ok: false,
          reason: `${candidate} is a link that leaves its root ${root.directory}`,
          lookedIn,
          suggestions: [],
        };
      }
      return { ok: true, filePath: real };
    }
  }
  return undefined;
}
