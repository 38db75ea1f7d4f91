import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { SessionFingerprint } from './manifest.js';

export interface ChangedFile {
  readonly path: string;
  readonly change: 'modified' | 'deleted';
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
