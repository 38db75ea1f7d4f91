import { Composer, LineCounter, Parser, YAMLParseError } from 'yaml';
import type { Document } from 'yaml';
import { formatFieldPath } from './check-shape.js';
import type { DefinitionIssue } from './issues.js';
import { readYamlTree, type DecodedScalar, type FieldPath } from './read-yaml-tree.js';
import { describeYamlErrors, type YamlProblem } from './yaml-errors.js';
import { locatorOf } from './yaml-locator.js';
import { deepNestingOffset } from './yaml-nesting.js';
import { decodeLongQuotedScalars } from './yaml-quoted-scalars.js';
import { MAX_NESTING, NESTING_MESSAGE } from './yaml-tree-rules.js';

export type { FieldPath } from './read-yaml-tree.js';

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

const PARSE_OPTIONS = { prettyErrors: false, uniqueKeys: false, merge: true, strict: true };

/**
 * Parse YAML 1.2 keeping positions, reading what PyYAML (seclab's parser) also reads: merge
 * keys (`<<: *anchor`) are resolved and a repeated key keeps its last value, with a
 * warning. Syntax errors, empty files, nesting past MAX_NESTING levels, alias bombs,
 * recursive or unknown aliases, tags that yield no JSON value (`!!binary`, `!!set`,
 * `!custom`) and collection keys become positioned issues (never exceptions); of the syntax
 * errors only the first is reported (and tabs in indentation), not what follows from it.
 * Work and memory grow linearly with the file.
 */
export function parseYaml(source: string, filePath: string): ParseResult {
  const lineCounter = new LineCounter();
  const issueAt = (
    offset: number,
    kind: string,
    message: string,
    fieldPath: FieldPath = [],
    severity: DefinitionIssue['severity'] = 'error',
  ): DefinitionIssue => {
    const { line, col } = lineCounter.linePos(offset);
    return {
      severity,
      kind,
      filePath,
      line,
      column: col,
      fieldPath: formatFieldPath(fieldPath),
      message,
    };
  };
  const tooDeep = (): ParseResult => {
    // The parser may have stopped early: count every line before placing the error.
    for (let index = source.indexOf('\n'); index !== -1; index = source.indexOf('\n', index + 1))
      if (index >= (lineCounter.lineStarts.at(-1) ?? 0)) lineCounter.addNewLine(index + 1);
    const offset = deepNestingOffset(source, MAX_NESTING);
    return { ok: false, issues: [issueAt(offset, 'yaml-nesting', NESTING_MESSAGE)] };
  };

  let composed: Composed;
  try {
    composed = compose(source, lineCounter);
  } catch (error) {
    // The `yaml` parser recurses once per level of nesting.
    if (error instanceof RangeError) return tooDeep();
    throw error;
  }
  if (composed.kind === 'too-deep') return tooDeep();
  if (composed.kind === 'syntax') {
    return {
      ok: false,
      issues: composed.problems.map((problem) =>
        issueAt(problem.offset, problem.kind, problem.message),
      ),
    };
  }
  const { document, decoded } = composed;
  if (document.contents === null || source.trim() === '') {
    const message = /^\s*#/m.test(source)
      ? 'file is empty (it holds only comments, no YAML content)'
      : 'file is empty';
    return { ok: false, issues: [issueAt(0, 'empty-file', message)] };
  }
  const tree = readYamlTree(document, source, decoded);
  if (tree.problems.length > 0) {
    return {
      ok: false,
      issues: tree.problems.map((problem) =>
        issueAt(problem.offset, problem.kind, problem.message, problem.fieldPath),
      ),
    };
  }
  const warnings = tree.duplicates.map((duplicate) =>
    issueAt(
      duplicate.offset,
      'duplicate-key',
      `duplicate key ${JSON.stringify(duplicate.key)} (first written on line ${lineCounter.linePos(duplicate.firstOffset).line}); the last value is used`,
      duplicate.fieldPath,
      'warning',
    ),
  );
  const locator = locatorOf(document, lineCounter, source);
  return { ok: true, parsed: { filePath, value: tree.value, ...locator }, warnings };
}

type Composed =
  | { kind: 'ok'; document: Document.Parsed; decoded: Map<number, DecodedScalar> }
  | { kind: 'syntax'; problems: YamlProblem[] }
  | { kind: 'too-deep' };

/** `parseDocument` in steps, so long quoted scalars can be decoded between them. The
 *  parser's tokens are needed only to describe syntax errors; they are dropped after. */
function compose(source: string, lineCounter: LineCounter): Composed {
  const tokens = [...new Parser(lineCounter.addNewLine).parse(source)];
  const decoded = decodeLongQuotedScalars(source, tokens);
  let document: Document.Parsed | undefined;
  for (const next of new Composer(PARSE_OPTIONS).compose(tokens, true, source.length)) {
    if (!document) {
      document = next;
      continue;
    }
    document.errors.push(
      new YAMLParseError(
        [next.range[0], next.range[1]],
        'MULTIPLE_DOCS',
        'Source contains multiple documents; a definition file holds one',
      ),
    );
    break;
  }
  if (!document) throw new Error('the YAML composer returned no document');
  const { errors } = document;
  if (errors.some((error) => /call stack/i.test(error.message))) return { kind: 'too-deep' };
  if (errors.length > 0)
    return { kind: 'syntax', problems: describeYamlErrors(errors, source, tokens) };
  return { kind: 'ok', document, decoded };
}
