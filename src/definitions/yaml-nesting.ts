/**
 * Where the nesting of a YAML text first goes deeper than `limit` levels, estimated from
 * the text alone: indentation levels, `- ` entries written on one line, and open brackets.
 * Used only to place the error when the `yaml` parser itself ran out of stack on a file
 * nested thousands of levels deep (it then reports where the stack ran out, which depends
 * on how much stack was left). Quoted text, comments and block scalar content do not count.
 *
 * @returns a character offset: the first place deeper than `limit`, else the deepest place
 */
export function deepNestingOffset(source: string, limit: number): number {
  const indents: number[] = [];
  let flow = 0;
  let blockScalarIndent: number | undefined;
  let deepest = { depth: 0, offset: 0 };
  let lineStart = 0;
  while (lineStart < source.length) {
    const newline = source.indexOf('\n', lineStart);
    const lineEnd = newline === -1 ? source.length : newline;
    let position = lineStart;
    while (source[position] === ' ') position++;
    const indent = position - lineStart;
    const blank = position >= lineEnd || source[position] === '#' || source[position] === '\r';
    if (blockScalarIndent !== undefined && (blank || indent > blockScalarIndent)) {
      lineStart = lineEnd + 1;
      continue;
    }
    blockScalarIndent = undefined;
    if (blank) {
      lineStart = lineEnd + 1;
      continue;
    }
    if (flow === 0) {
      while (indents.length > 0 && (indents.at(-1) ?? 0) >= indent) indents.pop();
      indents.push(indent);
    }
    let depth = indents.length + flow;
    let atEntryStart = true;
    let last = '';
    for (; position < lineEnd; position++) {
      const character = source[position] ?? '';
      if (character === '"' || character === "'") {
        position = closingQuote(source, position, lineEnd);
        atEntryStart = false;
        last = character;
        continue;
      }
      if (character === '#' && /\s/.test(source[position - 1] ?? ' ')) break;
      const entry = (character === '-' || character === '?') && atEntryStart;
      const next = source[position + 1] ?? '\n';
      if (entry && (next === ' ' || next === '\t' || next === '\n' || next === '\r')) depth++;
      else if (character === '[' || character === '{') {
        flow++;
        depth++;
      } else if (character === ']' || character === '}') {
        flow = Math.max(0, flow - 1);
        depth--;
      } else if (character !== ' ' && character !== '\t') atEntryStart = false;
      if (depth > limit) return position;
      if (depth > deepest.depth) deepest = { depth, offset: position };
      if (character !== ' ' && character !== '\t' && character !== '\r') last = character;
    }
    if (flow === 0 && /^[|>]/.test(blockIndicator(source, lineStart, lineEnd, last)))
      blockScalarIndent = indent;
    lineStart = lineEnd + 1;
  }
  return deepest.offset;
}

/** The offset of the quote closing the one at `start` on this line (or the line's end). */
function closingQuote(source: string, start: number, lineEnd: number): number {
  const quote = source[start];
  for (let position = start + 1; position < lineEnd; position++) {
    if (quote === '"' && source[position] === '\\') position++;
    else if (source[position] === quote) return position;
  }
  return lineEnd;
}

/** The last word of a line (comments aside) when it may open a block scalar (`|`, `>-`, ...). */
function blockIndicator(source: string, lineStart: number, lineEnd: number, last: string): string {
  if (!/[|>+\-0-9]/.test(last)) return '';
  const text = source
    .slice(lineStart, lineEnd)
    .replace(/\s+#.*$/, '')
    .trimEnd();
  return /(?:^|\s)([|>][+-]?[0-9]?|[|>][0-9]?[+-]?)$/.exec(text)?.[1] ?? '';
}
