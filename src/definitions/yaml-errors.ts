import type { CST, YAMLError } from 'yaml';

/** A YAML problem: where the user should look (character offset) and what to say. */
export interface YamlProblem {
  readonly offset: number;
  readonly kind: 'yaml-syntax';
  readonly message: string;
}

/**
 * Describe a `yaml` parse error. The library reports some errors where it noticed them
 * rather than where the mistake is: an unclosed quote or bracket at the end of the file, a
 * bad indentation at the start of the line. Those are moved to the opening character and
 * say what is wrong.
 */
export function describeYamlError(
  error: YAMLError,
  source: string,
  tokens: readonly CST.Token[],
): YamlProblem {
  const offset = error.pos[0];
  const firstLine = (error.message.split('\n')[0] ?? error.message).replace(
    / at line \d+, column \d+:?$/,
    '',
  );
  if (error.code === 'MISSING_CHAR' || /end with a|closing/i.test(firstLine)) {
    const unclosed = findUnclosed(tokens, offset);
    if (unclosed)
      return {
        offset: unclosed.offset,
        kind: 'yaml-syntax',
        message: `YAML syntax error: ${unclosed.message}`,
      };
  }
  return {
    offset: skipSpaces(source, offset),
    kind: 'yaml-syntax',
    message: `YAML syntax error: ${firstLine}`,
  };
}

/**
 * The problems of one file worth showing: the first, and every tab used as indentation
 * after it. After its first syntax error the parser recovers by guessing, and what it
 * reports next mostly follows from that first mistake (one bad indentation early on makes
 * the rest of the file "wrong"); PyYAML stops at the first error too. A tab in the
 * indentation is found on its own line whatever the parser's state, so each one is shown.
 */
export function describeYamlErrors(
  errors: readonly YAMLError[],
  source: string,
  tokens: readonly CST.Token[],
): YamlProblem[] {
  const described = errors
    .map((error) => ({
      tab: error.code === 'TAB_AS_INDENT',
      problem: describeYamlError(error, source, tokens),
    }))
    .sort((a, b) => a.problem.offset - b.problem.offset);
  const [first, ...rest] = described;
  if (first === undefined) return [];
  const tabs = rest.filter((entry) => entry.tab && entry.problem.offset > first.problem.offset);
  return [first.problem, ...tabs.map((entry) => entry.problem)];
}

/** Indentation errors point at the line's first column; the offending item starts after the spaces. */
function skipSpaces(source: string, offset: number): number {
  let position = offset;
  while (source[position] === ' ') position++;
  return position < source.length && source[position] !== '\n' && source[position] !== '\r'
    ? position
    : offset;
}

interface CstNode {
  readonly type?: string;
  readonly offset?: number;
  readonly source?: string;
  readonly start?: { readonly source?: string };
  readonly end?: readonly { readonly type?: string }[];
}

/** The last quoted scalar or flow collection opened before `before` that is never closed.
 *  Walks the parser's tokens without recursion (a broken file may nest deeply). */
function findUnclosed(
  tokens: readonly CST.Token[],
  before: number,
): { offset: number; message: string } | undefined {
  let found: { offset: number; message: string } | undefined;
  const stack: unknown[] = [...tokens];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (!Array.isArray(node)) {
      const token = node as CstNode;
      const offset = token.offset ?? Number.POSITIVE_INFINITY;
      if (offset <= before) {
        const problem = unclosedProblem(token);
        if (problem && (found === undefined || offset >= found.offset))
          found = { offset, message: problem };
      }
    }
    for (const child of Object.values(node)) if (typeof child === 'object') stack.push(child);
  }
  return found;
}

function unclosedProblem(token: CstNode): string | undefined {
  if (token.type === 'double-quoted-scalar' || token.type === 'single-quoted-scalar') {
    const quote = token.type === 'double-quoted-scalar' ? '"' : "'";
    const text = token.source ?? '';
    const closed =
      text.length >= 2 &&
      text.endsWith(quote) &&
      !(quote === '"' && /(^|[^\\])(\\\\)*\\"$/.test(text));
    return closed
      ? undefined
      : `the string quoted with ${quote} here is never closed (missing closing ${quote})`;
  }
  if (token.type === 'flow-collection') {
    const open = token.start?.source ?? '[';
    const close = open === '{' ? '}' : ']';
    const closed = (token.end ?? []).some(
      (part) => part.type === 'flow-seq-end' || part.type === 'flow-map-end',
    );
    return closed ? undefined : `the "${open}" here is never closed (missing "${close}")`;
  }
  return undefined;
}
