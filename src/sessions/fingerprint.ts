import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { SessionFingerprint } from './manifest.js';

export interface ChangedFile {
  readonly path: string;
  /**
   * `modified` / `deleted`: a fingerprinted file's content differs or is gone; `added`: a
   * load now reads a file the run did not (a reference resolves elsewhere); `unused`: a
   * fingerprinted file the load no longer reads.
   */
  readonly change: 'modified' | 'deleted' | 'added' | 'unused';
}

/** SHA-256 (lowercase hex) of text or bytes, as stored in fingerprints. */
export function sha256Hex(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

/**
 * The manifest fingerprint of the files a run loaded (path -> SHA-256 of the content),
 * with a digest over the sorted pairs so two fingerprints compare by one string.
 */
export function fingerprintFiles(files: ReadonlyMap<string, string>): SessionFingerprint {
  const paths = [...files.keys()].sort();
  const sorted: Record<string, string> = {};
  const digest = createHash('sha256');
  for (const filePath of paths) {
    const hash = files.get(filePath) ?? '';
    sorted[filePath] = hash;
    // NUL and newline cannot be confused with path or hex characters.
    digest.update(`${filePath}\0${hash}\n`);
  }
  return { algorithm: 'sha256', files: sorted, digest: digest.digest('hex') };
}

/**
 * Re-hashes every fingerprinted file now; lists those whose content differs or that can
 * no longer be read, in path order. Empty when nothing changed.
 */
export function changedFiles(fingerprint: SessionFingerprint): ChangedFile[] {
  const changes: ChangedFile[] = [];
  for (const filePath of Object.keys(fingerprint.files).sort()) {
    const hash = fingerprint.files[filePath];
    let content: Buffer;
    try {
      content = fs.readFileSync(filePath);
    } catch {
      changes.push({ path: filePath, change: 'deleted' });
      continue;
    }
    if (sha256Hex(content) !== hash) changes.push({ path: filePath, change: 'modified' });
  }
  return changes;
}

/**
 * Differences between the files a load read now (path -> SHA-256, as `LoadedTaskflow.files`)
 * and the fingerprint of the run, in path order: content changes and files read by only one
 * of them. Empty when the load read exactly the fingerprinted files, unchanged.
 */
export function changedLoadedFiles(
  fingerprint: SessionFingerprint,
  loaded: ReadonlyMap<string, string>,
): ChangedFile[] {
  const changes: ChangedFile[] = [];
  const paths = new Set([...Object.keys(fingerprint.files), ...loaded.keys()]);
  for (const filePath of [...paths].sort()) {
    const recorded = fingerprint.files[filePath];
    const now = loaded.get(filePath);
    if (recorded === undefined) changes.push({ path: filePath, change: 'added' });
    else if (now === undefined) changes.push({ path: filePath, change: 'unused' });
    else if (now !== recorded) changes.push({ path: filePath, change: 'modified' });
  }
  return changes;
}
