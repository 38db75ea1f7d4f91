import { createHash } from 'node:crypto';
import { writeJsonPieces } from './json-pieces.js';

/**
 * SHA-256 (lowercase hex) of `JSON.stringify(value)` — the same digest — computed without
 * building that string (json-pieces.ts): a large value (a 20 MB global) costs no copy of
 * itself. `undefined` hashes as the text `undefined`, as fingerprints always have.
 */
export function jsonSha256(value: unknown): string {
  const hash = createHash('sha256');
  let empty = true;
  writeJsonPieces(value, (piece) => {
    empty = false;
    hash.update(piece);
  });
  if (empty) hash.update('undefined');
  return hash.digest('hex');
}
