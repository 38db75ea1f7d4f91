import type { CST } from 'yaml';
import type { DecodedScalar } from './read-yaml-tree.js';

/** Shorter scalars are left to the `yaml` package (it is fast enough for them). */
const MIN_LENGTH = 1024;

/**
 * Decode long one-line double-quoted scalars before composing. The `yaml` package decodes
 * a double-quoted scalar by appending one character at a time: a 20 MB value builds a rope
 * of 20 million pieces (over 800 MB, many seconds). On one line, with only JSON escapes, a
 * double-quoted YAML scalar means what the same text means as a JSON string, which
 * `JSON.parse` decodes in one step; without any escape it is its text. Others (line
 * folding, YAML-only escapes such as `\x41`, raw tabs with escapes) are left to the
 * package. A decoded token is handed to the composer as a plain scalar (its text is then
 * its value: nothing decoded, nothing copied); readYamlTree restores value and style.
 *
 * @returns the decoded values by scalar offset
 */
export function decodeLongQuotedScalars(
  source: string,
  tokens: readonly CST.Token[],
): Map<number, DecodedScalar> {
  const decoded = new Map<number, DecodedScalar>();
  if (!hasLongLine(source)) return decoded;
  const stack: unknown[] = [...tokens];
  while (stack.length > 0) {
    const token = stack.pop();
    if (token === null || typeof token !== 'object') continue;
    if (Array.isArray(token)) {
      for (const child of token as unknown[]) if (typeof child === 'object') stack.push(child);
      continue;
    }
    const scalar = token as { type?: unknown; source?: unknown; offset?: unknown };
    if (
      scalar.type === 'double-quoted-scalar' &&
      typeof scalar.source === 'string' &&
      typeof scalar.offset === 'number'
    ) {
      const value = decodeOneLine(scalar.source);
      if (value !== undefined) {
        decoded.set(scalar.offset, { value });
        // Composed as a plain scalar, its text is its value: no decoding, no copy. The
        // source stays as written, so every offset the composer derives stays right.
        scalar.type = 'scalar';
      }
      continue;
    }
    for (const child of Object.values(token)) if (typeof child === 'object') stack.push(child);
  }
  return decoded;
}

function decodeOneLine(source: string): string | undefined {
  if (source.length < MIN_LENGTH || !source.endsWith('"')) return undefined;
  if (source.includes('\n') || source.includes('\r')) return undefined;
  if (!source.includes('\\')) return source.slice(1, -1);
  try {
    const value: unknown = JSON.parse(source);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Whether some line is long enough to hold a scalar the fast path would take. */
function hasLongLine(source: string): boolean {
  let start = 0;
  while (start < source.length) {
    const end = source.indexOf('\n', start);
    const lineEnd = end === -1 ? source.length : end;
    if (lineEnd - start >= MIN_LENGTH) return true;
    start = lineEnd + 1;
  }
  return false;
}
