/**
 * Turns what nunjucks throws into TaskflowErrors (code 'template') with clean messages and
 * 1-based positions relative to the template text the problem is in.
 */
import { TaskflowError, isTaskflowError } from '../errors.js';
import { isNunjucksTemplateError } from './nunjucks-internals.js';

/** A problem found in template text; line and column are 1-based, relative to that text. */
export interface TemplateIssue {
  line: number;
  column: number;
  message: string;
}

/** nunjucks prefixes messages with `(path) [Line N, Column M]` once per template it passes. */
const LOCATION_PREFIX = /^\s*\(([^\n]*?)\)(?: \[Line (\d+)(?:, Column (\d+))?\])?\s*\n\s*/;
/** Error class names nunjucks puts in front, and its parser's method names (`parseIf: `). */
const NOISE_PREFIX =
  /^(?:Template render error|Error|TypeError|RangeError|ReferenceError|parse[A-Za-z]*|compile[A-Za-z]*):\s*/;

/** Issue for an error thrown while parsing or compiling `source` (positions are 1-based there). */
export function issueFromCompileError(error: unknown, source: string): TemplateIssue {
  const text = readNunjucksMessage(error);
  const fields = isNunjucksTemplateError(error) ? error : undefined;
  const line = fields?.lineno ?? text.line;
  const at = line === undefined ? undefined : { line, column: fields?.colno ?? text.column ?? 1 };
  // A `{{`, `{%` or `{#` never closed is what went wrong, wherever the parser gave up after
  // it (nunjucks gives no position at all at the end of input): point at where it opens.
  const opener = unclosedOpener(source);
  if (opener !== undefined) {
    const open = positionOf(source, opener.index);
    if (
      at === undefined ||
      at.line > open.line ||
      (at.line === open.line && at.column >= open.column)
    ) {
      const message = `${text.message}: this "${opener.text}" is never closed with "${opener.closer}"`;
      return { ...open, message };
    }
  }
  return { ...(at ?? endOf(source)), message: text.message };
}

/** The TaskflowError for an issue found before rendering. */
export function errorFromIssues(
  issues: readonly TemplateIssue[],
  filePath: string | undefined,
): TaskflowError {
  const [first, ...others] = issues;
  return new TaskflowError('template', first?.message ?? 'invalid template', {
    ...(filePath === undefined ? {} : { filePath }),
    ...(first ? { line: first.line, column: first.column } : {}),
    details: others.map((issue) => `${issue.line}:${issue.column} ${issue.message}`),
  });
}

/**
 * The TaskflowError for anything thrown while rendering. Our own helpers' errors are passed
 * through (they already know their position); nunjucks runtime errors get the position it
 * tracked (0-based in its runtime) and the innermost template path from its message.
 */
export function errorFromRenderFailure(
  error: unknown,
  rootFilePath: string | undefined,
): TaskflowError {
  const own = findTaskflowError(error);
  if (own?.line !== undefined) return own;
  const text = readNunjucksMessage(error);
  const filePath = own?.filePath ?? text.filePath ?? rootFilePath;
  const position = isNunjucksTemplateError(error)
    ? { line: (error.lineno ?? 0) + 1, column: (error.colno ?? 0) + 1 }
    : {};
  return new TaskflowError(
    own?.code ?? 'template',
    own?.message ?? rootCauseMessage(error) ?? text.message,
    {
      ...(filePath === undefined ? {} : { filePath }),
      ...position,
      details: own?.details ?? [],
      cause: own ?? error,
    },
  );
}

function findTaskflowError(error: unknown): TaskflowError | undefined {
  for (
    let current: unknown = error, depth = 0;
    current instanceof Error && depth < 10;
    depth += 1
  ) {
    if (isTaskflowError(current)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The message of the innermost non-nunjucks error (nunjucks wraps and re-prefixes it). */
function rootCauseMessage(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 10 && isNunjucksTemplateError(current); depth += 1)
    current = current.cause;
  if (current instanceof Error && current !== error) return cleanMessage(current.message);
  return undefined;
}

interface NunjucksMessage {
  message: string;
  filePath?: string;
  line?: number;
  column?: number;
}

/** Strip and read nunjucks' location prefixes; the innermost template's path comes last. */
function readNunjucksMessage(error: unknown): NunjucksMessage {
  let rest = error instanceof Error ? error.message : String(error);
  const result: NunjucksMessage = { message: '' };
  for (let match = LOCATION_PREFIX.exec(rest); match; match = LOCATION_PREFIX.exec(rest)) {
    const path = match[1];
    if (path !== undefined && path !== 'unknown path') result.filePath = path;
    if (match[2] !== undefined) result.line = Number(match[2]);
    if (match[3] !== undefined) result.column = Number(match[3]);
    rest = rest.slice(match[0].length);
  }
  result.message = cleanMessage(rest);
  return result;
}

function cleanMessage(message: string): string {
  let cleaned = message.trim();
  while (NOISE_PREFIX.test(cleaned)) cleaned = cleaned.replace(NOISE_PREFIX, '');
  return cleaned === '' ? 'template error' : cleaned;
}

const DELIMITERS = [
  { text: '{{', closer: '}}' },
  { text: '{%', closer: '%}' },
  { text: '{#', closer: '#}' },
] as const;

/** The first `{{`, `{%` or `{#` with no closer anywhere after it, if any. */
function unclosedOpener(
  source: string,
): { index: number; text: string; closer: string } | undefined {
  let found: { index: number; text: string; closer: string } | undefined;
  for (const { text, closer } of DELIMITERS) {
    const lastCloser = source.lastIndexOf(closer);
    // Every opener after the last closer is unclosed; the first of them is the culprit.
    const index = source.indexOf(text, lastCloser < 0 ? 0 : lastCloser + closer.length);
    if (index >= 0 && (found === undefined || index < found.index)) found = { index, text, closer };
  }
  return found;
}

/** 1-based line and column of `index` in `source`. */
function positionOf(source: string, index: number): { line: number; column: number } {
  const before = source.slice(0, index);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: index - lineStart + 1 };
}

function endOf(source: string): { line: number; column: number } {
  // The end of the last line written: a block scalar's closing newline would put it on the
  // line after the template, which belongs to something else in the file.
  const lines = source.replace(/\n+$/, '').split('\n');
  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
}
