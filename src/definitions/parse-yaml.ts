import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node } from 'yaml';
import { formatFieldPath } from './check-shape.js';
import { findDuplicateKeys } from './duplicate-keys.js';
import type { DefinitionIssue } from './issues.js';
import { describeYamlError, unresolvedAliases } from './yaml-errors.js';

export type FieldPath = readonly (string | number)[];

/** A parsed YAML file: its plain value plus a way to find where any field was written. */
export interface ParsedYaml {
  readonly filePath: string;
  readonly value: unknown;
  /** 1-based line/column of the value at `fieldPath` (or of its key with `key: true`).
   *  Falls back to the closest existing ancestor when the path does not exist. */
  locate(fieldPath: FieldPath, options?: { key?: boolean }): { line: number; column: number };
  /** Character offset of the value's first character and whether it is a block scalar. */
  scalarStart(fieldPath: FieldPath): { line: number; column: number; block: boolean } | undefined;
}

export type ParseResult =
  | { ok: true; parsed: ParsedYaml; warnings: DefinitionIssue[] }
  | { ok: false; issues: DefinitionIssue[] };

/**
 * Parse YAML 1.2 keeping positions, reading what PyYAML (seclab's parser) also reads: merge
 * keys (`<<: *anchor`) are resolved and a repeated key keeps its last value, with a
 * warning. Syntax errors, empty files and unresolved aliases become issues (never
 * exceptions).
 */
export function parseYaml(source: string, filePath: string): ParseResult {
  const lineCounter = new LineCounter();
  const document = parseDocument(source, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: false,
    merge: true,
    strict: true,
  });
  const issueAt = (
    offset: number,
    kind: string,
    message: string,
    severity: DefinitionIssue['severity'] = 'error',
  ): DefinitionIssue => {
    const { line, col } = lineCounter.linePos(offset);
    return { severity, kind, filePath, line, column: col, fieldPath: '', message };
  };
  if (document.errors.length > 0) {
    return {
      ok: false,
      issues: document.errors.map((error) => {
        const problem = describeYamlError(error, source);
        return issueAt(problem.offset, problem.kind, problem.message);
      }),
    };
  }
  if (document.contents === null || source.trim() === '') {
    const message = /^\s*#/m.test(source)
      ? 'file is empty (it holds only comments, no YAML content)'
      : 'file is empty';
    return { ok: false, issues: [issueAt(0, 'empty-file', message)] };
  }
  const aliases = unresolvedAliases(document);
  if (aliases.length > 0) {
    return {
      ok: false,
      issues: aliases.map((problem) => issueAt(problem.offset, problem.kind, problem.message)),
    };
  }
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    return { ok: false, issues: [issueAt(0, 'yaml-alias', `cannot resolve YAML: ${text}`)] };
  }
  const warnings = findDuplicateKeys(document).map((duplicate) => ({
    ...issueAt(
      duplicate.offset,
      'duplicate-key',
      `duplicate key ${JSON.stringify(duplicate.key)} (first written on line ${lineCounter.linePos(duplicate.firstOffset).line}); the last value is used`,
      'warning',
    ),
    fieldPath: formatFieldPath(duplicate.fieldPath),
  }));
  return {
    ok: true,
    parsed: makeParsed(document, lineCounter, filePath, value, source),
    warnings,
  };
}

function makeParsed(
  document: Document,
  lineCounter: LineCounter,
  filePath: string,
  value: unknown,
  source: string,
): ParsedYaml {
  const lines = source.split(/\r?\n/);
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const walk = (fieldPath: FieldPath, wantKey: boolean): Node | undefined => {
    let node: unknown = document.contents;
    let found = node as Node | undefined;
    for (let index = 0; index < fieldPath.length; index++) {
      const segment = fieldPath[index];
      const last = index === fieldPath.length - 1;
      if (isMap(node)) {
        // The last of repeated keys is the one whose value is used.
        const pair = node.items.findLast(
          (item) =>
            isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment),
        );
        if (!pair) return found;
        if (last && wantKey && pair.key) return pair.key as Node;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        node = node.items[segment];
      } else {
        return found;
      }
      if (node && typeof node === 'object' && 'range' in node) found = node as Node;
      else return found;
    }
    return found;
  };
  return {
    filePath,
    value,
    locate(fieldPath, options) {
      const node = walk(fieldPath, options?.key ?? false);
      const offset = node?.range?.[0] ?? 0;
      return position(offset);
    },
    scalarStart(fieldPath) {
      const node = walk(fieldPath, false);
      if (!node || !isScalar(node) || !node.range) return undefined;
      const block = node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED';
      if (!block) {
        const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
        const start = position(node.range[0] + (quoted ? 1 : 0));
        return { ...start, block };
      }
      // Block scalar content starts on the line after the `|` / `>` indicator, indented.
      const indicator = position(node.range[0]);
      let line = indicator.line + 1;
      while (line <= lines.length && (lines[line - 1] ?? '').trim() === '') line++;
      const text = lines[line - 1] ?? '';
      const indent = text.length - text.trimStart().length;
      return { line: indicator.line + 1, column: indent + 1, block };
    },
  };
}
