/**
 * Parses template text as seclab's Jinja2 Environment reads it where nunjucks' parser reads
 * it differently. Every change is an override on the one tokenizer and parser made for this
 * parse; nunjucks' shared prototypes and runtime are never patched, so other nunjucks users
 * in the process (and other renderers) are unaffected.
 *
 * - Line endings become `\n` and one trailing newline is dropped (Jinja2's default
 *   `keep_trailing_newline=False`; a YAML `|` block always ends in one).
 * - trim_blocks and lstrip_blocks apply to `{# comments #}` too, as in Jinja2.
 * - `}}` closing a dict literal inside `{{ }}` is two braces, not the end of the tag.
 * - `{% raw %}` keeps the newline after its opening tag, strips the indentation before
 *   `{% endraw %}` and the newline after it, and does not nest (Jinja2's raw).
 * - Numbers with an exponent (`1e-5`) are one number; string literals decode Python's
 *   escapes (`"\u00e9"`), where nunjucks knows only `\n`, `\t`, `\r`.
 * - Member names that nunjucks lexes as literals work after a dot (`globals.none`,
 *   `globals.true`), and so do integer indices (`items.0`).
 * - Python slices `value[start:stop:step]` become a call of the slice helper.
 * - A test takes one argument without parentheses (`x is divisibleby 3`, `x is in list`),
 *   and `none`, `true`, `false` are test names.
 * - A name is an identifier, as in Jinja2. nunjucks' lexer takes anything up to a delimiter
 *   as a name (`a"b`, `` a`b ``) and its compiler copies names into the generated JavaScript
 *   unescaped, so any other name could inject code. Names starting `__taskflow` are the
 *   runtime helpers' (rewrite-template-ast.ts) and are refused too.
 */
import {
  astNodes,
  createParser,
  type AstNode,
  type NunjucksParser,
  type NunjucksToken,
  type NunjucksTokenizer,
} from './nunjucks-internals.js';

/** Name of the runtime helper that a parsed slice calls (registered as a global). */
export const SLICE_HELPER = '__taskflow_slice';

/** Token types of nunjucks' lexer used here. */
const TOKEN = {
  data: 'data',
  comment: 'comment',
  leftParen: 'left-paren',
  leftBracket: 'left-bracket',
  leftCurly: 'left-curly',
  rightCurly: 'right-curly',
  variableStart: 'variable-start',
  variableEnd: 'variable-end',
  blockStart: 'block-start',
  rightBracket: 'right-bracket',
  colon: 'colon',
  operator: 'operator',
  symbol: 'symbol',
  boolean: 'boolean',
  none: 'none',
  int: 'int',
  float: 'float',
  string: 'string',
} as const;

/** A Jinja2 (Python) identifier. */
const IDENTIFIER = /^[\p{ID_Start}_][\p{ID_Continue}]*$/u;
const RESERVED_PREFIX = '__taskflow';

/** Tokens accepted as a member name after a dot: nunjucks lexes `true`, `none`, `null`, `0`
 *  as literals, Jinja2 reads them as names (or an index for digits). */
const MEMBER_NAME_TOKENS = new Set<string>([TOKEN.symbol, TOKEN.boolean, TOKEN.none, TOKEN.int]);

/** Jinja2's source as its lexer sees it: `\n` line endings, no single trailing newline. */
export function normalizeTemplateSource(text: string): string {
  const normalized = text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
  return normalized.endsWith('\n') ? normalized.slice(0, -1) : normalized;
}

/** Parse template text (throws nunjucks' TemplateError or a lexer Error, with positions). */
export function parseTemplate(text: string): AstNode {
  const parser = createParser(normalizeTemplateSource(text));
  adjustTokens(parser);
  parser.parsePostfix = (node) => parsePostfix(parser, node);
  parser.parseRaw = (tagName) => parseRaw(parser, tagName ?? 'raw');
  parser.parseIs = () => parseIs(parser);
  return parser.parseAsRoot();
}

/**
 * trim_blocks after `#}` and lstrip_blocks before `{#` (nunjucks applies both to tags only);
 * `}}` read as two closing braces while a `{` opened inside the tag is still open.
 */
function adjustTokens(parser: NunjucksParser): void {
  const tokenizer = parser.tokens;
  const nextToken = tokenizer.nextToken.bind(tokenizer);
  let openBraces = 0;
  const next = (): NunjucksToken | null => {
    const start = tokenizer.index;
    let token = withExponent(tokenizer, nextToken(), start);
    if (token?.type === TOKEN.symbol) checkName(parser, token);
    if (token?.type === TOKEN.string)
      token = {
        ...token,
        value: pythonString(tokenizer.str.slice(start + 1, tokenizer.index - 1)),
      };
    if (token?.type === TOKEN.leftCurly) openBraces += 1;
    else if (token?.type === TOKEN.rightCurly) openBraces -= 1;
    else if (token?.type === TOKEN.variableEnd && openBraces > 0 && token.value === '}}') {
      tokenizer.backN(1);
      tokenizer.in_code = true;
      openBraces -= 1;
      return { ...token, type: TOKEN.rightCurly, value: '}' };
    } else if (token?.type === TOKEN.variableStart || token?.type === TOKEN.blockStart) {
      openBraces = 0;
    }
    if (token?.type === TOKEN.comment) {
      if (tokenizer.current() === '\n') tokenizer.forward();
      return token;
    }
    if (token?.type !== TOKEN.data || tokenizer._matches('{#') !== true) return token;
    const kept = withoutIndentBeforeTag(token.value, token.colno === 0);
    if (kept === token.value) return token;
    return kept === '' ? next() : { ...token, value: kept };
  };
  tokenizer.nextToken = next;
}

function checkName(parser: NunjucksParser, token: NunjucksToken): void {
  if (!IDENTIFIER.test(token.value))
    parser.fail(`invalid name "${token.value}"`, token.lineno, token.colno);
  if (token.value.startsWith(RESERVED_PREFIX))
    parser.fail(
      `"${token.value}" is reserved: names starting "${RESERVED_PREFIX}" belong to taskflow`,
      token.lineno,
      token.colno,
    );
}

/** A number with an exponent (`1e-5`, `2.5E3`), which nunjucks' lexer splits into pieces. */
const EXPONENT_NUMBER = /^\d+(?:\.\d+)?[eE][+-]?\d+/;

function withExponent(
  tokenizer: NunjucksTokenizer,
  token: NunjucksToken | null,
  start: number,
): NunjucksToken | null {
  if (!token || !NUMBER_TOKENS.has(token.type) || !/^\d/.test(token.value)) return token;
  const number = EXPONENT_NUMBER.exec(tokenizer.str.slice(start))?.[0];
  const read = tokenizer.index - start;
  if (number === undefined || number.length < read) return token;
  if (number.length > read) tokenizer.forwardN(number.length - read);
  return { ...token, type: TOKEN.float, value: number };
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\n': '',
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

/** A string literal's text with Python's escapes decoded (`\u00e9`, `\x41`, `\101`, `\n`);
 *  an unknown escape keeps its backslash, as in Python. */
function pythonString(raw: string): string {
  return raw.replace(
    /\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|([0-7]{1,3})|([\s\S]))/g,
    (whole, hex2?: string, hex4?: string, hex8?: string, octal?: string, other?: string) => {
      const code = hex2 ?? hex4 ?? hex8;
      if (code !== undefined) return String.fromCodePoint(Number.parseInt(code, 16));
      if (octal !== undefined) return String.fromCodePoint(Number.parseInt(octal, 8));
      return SIMPLE_ESCAPES[other ?? ''] ?? whole;
    },
  );
}

/** `text` without the spaces and tabs that stand alone before a tag at the start of a line. */
function withoutIndentBeforeTag(text: string, startsLine: boolean): string {
  const lineStart = text.lastIndexOf('\n') + 1;
  if (lineStart === 0 && !startsLine) return text;
  return /^[ \t]*$/.test(text.slice(lineStart)) ? text.slice(0, lineStart) : text;
}

/** nunjucks' postfix loop (calls, `[...]`, `.name`) with Jinja2's subscripts and names. */
function parsePostfix(parser: NunjucksParser, target: AstNode): AstNode {
  let node = target;
  for (let token = parser.peekToken(); token; token = parser.peekToken()) {
    if (token.type === TOKEN.leftParen) {
      node = new astNodes.FunCall(token.lineno, token.colno, node, parser.parseSignature());
    } else if (token.type === TOKEN.leftBracket) {
      node = parseSubscript(parser, node);
    } else if (token.type === TOKEN.operator && token.value === '.') {
      parser.nextToken();
      const name = parser.nextToken();
      if (!name || !MEMBER_NAME_TOKENS.has(name.type))
        parser.fail(
          `expected name as lookup value, got ${name?.value ?? 'end of file'}`,
          name?.lineno,
          name?.colno,
        );
      const key = name.type === TOKEN.int ? Number(name.value) : name.value;
      const literal = new astNodes.Literal(name.lineno, name.colno, key);
      node = new astNodes.LookupVal(token.lineno, token.colno, node, literal);
    } else {
      return node;
    }
  }
  return node;
}

/** Tokens that may be the first piece of a number with an exponent. */
const NUMBER_TOKENS = new Set<string>([TOKEN.int, TOKEN.float, TOKEN.symbol]);

/** Tokens that name a test after `is`. */
const TEST_NAME_TOKENS = new Set<string>([TOKEN.symbol, TOKEN.boolean, TOKEN.none]);
/** Tokens that start a test's argument written without parentheses (as Jinja2 decides). */
const ARGUMENT_START_TOKENS = new Set<string>([
  TOKEN.symbol,
  TOKEN.string,
  TOKEN.int,
  TOKEN.float,
  TOKEN.boolean,
  TOKEN.none,
  TOKEN.leftBracket,
  TOKEN.leftCurly,
]);
const NOT_AN_ARGUMENT = new Set(['else', 'or', 'and', 'if']);

/** `left is [not] name`, `... name(args)` or `... name argument`. */
function parseIs(parser: NunjucksParser): AstNode {
  const left = parser.parseCompare();
  if (!parser.skipSymbol('is')) return left;
  const negated = parser.skipSymbol('not');
  const nameToken = parser.nextToken();
  if (!nameToken || !TEST_NAME_TOKENS.has(nameToken.type))
    parser.fail(
      `expected a test name after "is", got ${nameToken?.value ?? 'end of file'}`,
      nameToken?.lineno,
      nameToken?.colno,
    );
  const name = new astNodes.Symbol(nameToken.lineno, nameToken.colno, nameToken.value);
  const next = parser.peekToken();
  let test = name;
  if (next?.type === TOKEN.leftParen) {
    test = new astNodes.FunCall(next.lineno, next.colno, name, parser.parseSignature());
  } else if (next && ARGUMENT_START_TOKENS.has(next.type) && !NOT_AN_ARGUMENT.has(next.value)) {
    const argument = parser.parsePrimary();
    test = new astNodes.FunCall(
      next.lineno,
      next.colno,
      name,
      new astNodes.NodeList(next.lineno, next.colno, [argument]),
    );
  }
  const node = new astNodes.Is(left.lineno, left.colno, left, test);
  return negated ? new astNodes.Not(left.lineno, left.colno, node) : node;
}

/** `[index]` as a lookup; `[start:stop:step]` (any part optional) as a slice helper call. */
function parseSubscript(parser: NunjucksParser, target: AstNode): AstNode {
  const open = parser.nextToken() as NunjucksToken;
  const parts: (AstNode | undefined)[] = [undefined];
  for (;;) {
    const token = parser.peekToken();
    if (!token) parser.fail('expected "]", got end of file', open.lineno, open.colno);
    if (token.type === TOKEN.rightBracket) {
      parser.nextToken();
      break;
    }
    if (token.type === TOKEN.colon) {
      parser.nextToken();
      if (parts.length === 3) parser.fail('too many parts in a slice', token.lineno, token.colno);
      parts.push(undefined);
    } else if (parts.at(-1) === undefined) {
      parts[parts.length - 1] = parser.parseExpression();
    } else {
      parser.fail(`expected "]" or ":", got ${token.value}`, token.lineno, token.colno);
    }
  }
  const [index] = parts;
  if (parts.length === 1) {
    if (!index) parser.fail('expected an index inside "[]"', open.lineno, open.colno);
    return new astNodes.LookupVal(open.lineno, open.colno, target, index);
  }
  const bound = (part: AstNode | undefined) =>
    part ?? new astNodes.Literal(open.lineno, open.colno, null);
  const helper = new astNodes.Symbol(open.lineno, open.colno, SLICE_HELPER);
  const args = [target, bound(parts[0]), bound(parts[1]), bound(parts[2])];
  return new astNodes.FunCall(
    open.lineno,
    open.colno,
    helper,
    new astNodes.NodeList(open.lineno, open.colno, args),
  );
}

/**
 * Jinja2's raw block: the text up to the first `{% endraw %}`, verbatim. nunjucks' own
 * version drops the newline after `{% raw %}`, keeps the indentation before `{% endraw %}`
 * and the newline after it, and nests.
 */
function parseRaw(parser: NunjucksParser, tagName: string): AstNode {
  const opening = parser.advanceAfterBlockEnd();
  const tokenizer = parser.tokens;
  // trim_blocks already took the newline after `%}`; Jinja2 keeps it inside raw.
  const trimmedNewline = tokenizer.str[tokenizer.index - 1] === '\n';
  const stripStart = parser.dropLeadingWhitespace;
  parser.dropLeadingWhitespace = false;
  const end = tokenizer._extractRegex(
    new RegExp(`^([\\s\\S]*?)\\{%(-?)\\s*end${tagName}\\s*(-?)%\\}`),
  );
  if (!end) parser.fail(`missing {% end${tagName} %}`, opening.lineno, opening.colno);
  let text = (trimmedNewline && !stripStart ? '\n' : '') + (end[1] ?? '');
  if (stripStart) text = text.trimStart();
  text = end[2] === '-' ? text.trimEnd() : withoutIndentBeforeTag(text, false);
  if (end[3] === '-') parser.dropLeadingWhitespace = true;
  else if (tokenizer.current() === '\n') tokenizer.forward();
  return new astNodes.Output(opening.lineno, opening.colno, [
    new astNodes.TemplateData(opening.lineno, opening.colno, text),
  ]);
}
