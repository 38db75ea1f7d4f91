import type { DefinitionIssue } from './issues.js';
import type { ParsedYaml } from './parse-yaml.js';
import { FILETYPES, type Filetype } from './types.js';
import { HEADER_KEY } from './header-key.js';
import { didYouMean } from './did-you-mean.js';

export const SUPPORTED_VERSION = '1.0';

/** `1`, `1.0`, `"1"`, `"1.0"` -> "1.0"; anything else -> undefined. */
export function normaliseVersion(version: unknown): string | undefined {
  if (typeof version === 'number' && version === 1) return SUPPORTED_VERSION;
  if (typeof version === 'string' && /^\s*1(\.0)?\s*$/.test(version)) return SUPPORTED_VERSION;
  return undefined;
}

export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`;
  return typeof value;
}

/**
 * Check the top level and the header. Returns the file's filetype when the header is usable.
 * `expected` is the filetype the reference asked for (a mismatch is an error).
 */
export function checkHeader(
  parsed: ParsedYaml,
  expected: Filetype | undefined,
  issues: DefinitionIssue[],
): Filetype | undefined {
  const at = (fieldPath: (string | number)[], kind: string, message: string, key = false) => {
    const { line, column } = parsed.locate(fieldPath, { key });
    issues.push({
      severity: 'error',
      kind,
      filePath: parsed.filePath,
      line,
      column,
      fieldPath: fieldPath.join('.'),
      message,
    });
  };
  const value = parsed.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    at([], 'not-a-mapping', `the top level must be a mapping, got ${describeValue(value)}`);
    return undefined;
  }
  const header = (value as Record<string, unknown>)[HEADER_KEY];
  if (header === undefined) {
    at(
      [],
      'missing-header',
      `missing header "${HEADER_KEY}:" with version "${SUPPORTED_VERSION}" and a filetype`,
    );
    return undefined;
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    at(
      [HEADER_KEY],
      'bad-header',
      `the header must be a mapping with version and filetype, got ${describeValue(header)}`,
    );
    return undefined;
  }
  const { version, filetype } = header as Record<string, unknown>;
  let usable = true;
  if (version === undefined) {
    at([HEADER_KEY], 'bad-header', `missing version (supported: "${SUPPORTED_VERSION}")`);
    usable = false;
  } else if (normaliseVersion(version) === undefined) {
    at(
      [HEADER_KEY, 'version'],
      'unsupported-version',
      `unsupported version ${JSON.stringify(version)}; the supported version is "${SUPPORTED_VERSION}"`,
    );
    usable = false;
  }
  if (filetype === undefined) {
    at([HEADER_KEY], 'bad-header', `missing filetype (one of: ${FILETYPES.join(', ')})`);
    return undefined;
  }
  if (typeof filetype !== 'string' || !(FILETYPES as readonly string[]).includes(filetype)) {
    const hint = typeof filetype === 'string' ? didYouMean(filetype, FILETYPES) : '';
    at(
      [HEADER_KEY, 'filetype'],
      'unknown-filetype',
      `unknown filetype ${JSON.stringify(filetype)} (one of: ${FILETYPES.join(', ')})${hint}`,
    );
    return undefined;
  }
  if (expected !== undefined && filetype !== expected) {
    at(
      [HEADER_KEY, 'filetype'],
      'wrong-filetype',
      `expected a ${expected} file, but this file is a ${filetype}`,
    );
    return undefined;
  }
  return usable ? (filetype as Filetype) : undefined;
}
