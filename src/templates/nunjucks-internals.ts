/**
 * Typed access to the parts of nunjucks that its type definitions leave out (parser, AST
 * nodes, compiler, transformer). Everything nunjucks-internal goes through this file, so a
 * nunjucks upgrade that moves these is felt in one place.
 */
import nunjucks from 'nunjucks';
// Not exported by the package index (see nunjucks-transformer.d.ts); the same module
// nunjucks' compiler loads, so bundled or not there is one copy of the AST node classes.
import transformerModule from 'nunjucks/src/transformer.js';

/** A nunjucks AST node. Child nodes live in the properties named by `fields`. */
export interface AstNode {
  readonly typename: string;
  readonly lineno: number;
  readonly colno: number;
  readonly fields: readonly string[];
  findAll(type: AstNodeClass, results?: AstNode[]): AstNode[];
  [field: string]: unknown;
}

export type AstNodeClass = new (lineno: number, colno: number, ...fields: unknown[]) => AstNode;

type NodeClassName =
  | 'NodeList'
  | 'Output'
  | 'TemplateData'
  | 'Symbol'
  | 'Literal'
  | 'FunCall'
  | 'LookupVal'
  | 'Filter'
  | 'Is'
  | 'Not'
  | 'InlineIf'
  | 'Include'
  | 'Import'
  | 'FromImport'
  | 'Extends';

interface NunjucksInternals {
  parser: {
    parse(source: string, extensions: readonly unknown[], options: object): AstNode;
    Parser: new (tokenizer: NunjucksTokenizer) => NunjucksParser;
  };
  lexer: { lex(source: string, options: object): NunjucksTokenizer };
  nodes: Record<NodeClassName, AstNodeClass>;
  compiler: {
    Compiler: new (templateName: string | undefined, throwOnUndefined: boolean) => NunjucksCompiler;
  };
  lib: { TemplateError: new (message: string, lineno?: number, colno?: number) => Error };
  runtime: NunjucksRuntime;
}

/** nunjucks' runtime module: what compiled template code calls as `runtime.<name>`. */
export interface NunjucksRuntime {
  SafeString: new (value: string) => object;
  memberLookup(target: unknown, key: unknown): unknown;
  makeMacro(...args: unknown[]): (...args: unknown[]) => unknown;
  [name: string]: unknown;
}

/** nunjucks' scope of template variables (`{% set %}`, loop variables, macro arguments). */
export interface NunjucksFrame {
  readonly variables: Readonly<Record<string, unknown>>;
  readonly parent: NunjucksFrame | null;
}

/** nunjucks' render context: the variables passed to render, and the environment's globals. */
export interface NunjucksContext {
  readonly ctx: Readonly<Record<string, unknown>>;
  readonly env: { readonly globals: Readonly<Record<string, unknown>> };
}

/** A token of nunjucks' lexer; `type` is one of its TOKEN_* strings ('symbol', 'left-bracket'...). */
export interface NunjucksToken {
  readonly type: string;
  readonly value: string;
  readonly lineno: number;
  readonly colno: number;
}

/** The lexer state nunjucks' parser reads from (one per parse). */
export interface NunjucksTokenizer {
  readonly str: string;
  index: number;
  in_code: boolean;
  nextToken(): NunjucksToken | null;
  current(): string;
  forward(): void;
  forwardN(count: number): void;
  backN(count: number): void;
  _matches(text: string): boolean | null;
  _extractRegex(regex: RegExp): RegExpMatchArray | null;
}

/** nunjucks' recursive-descent parser: the methods our per-instance overrides call or replace. */
export interface NunjucksParser {
  tokens: NunjucksTokenizer;
  extensions: unknown[];
  dropLeadingWhitespace: boolean;
  peekToken(): NunjucksToken | null;
  nextToken(): NunjucksToken | null;
  parseExpression(): AstNode;
  parseSignature(): AstNode;
  parseCompare(): AstNode;
  parsePrimary(noPostfix?: boolean): AstNode;
  parseIs(): AstNode;
  skipSymbol(name: string): boolean;
  advanceAfterBlockEnd(name?: string): NunjucksToken;
  fail(message: string, lineno?: number, colno?: number): never;
  parseAsRoot(): AstNode;
  parsePostfix(node: AstNode): AstNode;
  parseRaw(tagName?: string): AstNode;
}

interface NunjucksCompiler {
  compile(node: AstNode): void;
  getCode(): string;
  /** Source-like name of a callee, which the compiler copies into a JS string literal. */
  _getNodeName(node: AstNode): string;
}

interface NunjucksTransformer {
  transform(ast: AstNode, asyncFilters: readonly string[], name?: string): AstNode;
}

const internals = nunjucks as unknown as NunjucksInternals;

/** The node classes used to build replacement nodes and to search the tree. */
export const astNodes = internals.nodes;

/** nunjucks' own runtime (compiled templates get a sandboxed copy, see sandboxed-runtime.ts). */
export const nunjucksRuntime: Readonly<NunjucksRuntime> = internals.runtime;

/** The compiled form nunjucks accepts in place of source text (as the precompiler produces). */
export interface CompiledTemplateSource {
  readonly type: 'code';
  readonly obj: Readonly<Record<string, unknown>>;
}

/**
 * A fresh tokenizer and parser for `source` with trim_blocks and lstrip_blocks on. Both are
 * private to the caller, which may override methods on these instances (never on nunjucks'
 * shared prototypes).
 */
export function createParser(source: string): NunjucksParser {
  const tokenizer = internals.lexer.lex(source, { trimBlocks: true, lstripBlocks: true });
  const parser = new internals.parser.Parser(tokenizer);
  parser.extensions = [];
  return parser;
}

const transformer = transformerModule as NunjucksTransformer;

/**
 * Compile an AST (after our rewrites) to the code object nunjucks' Template accepts. It
 * runs with `runtime` in place of the runtime nunjucks passes it, so every member read,
 * name lookup, call and macro of the compiled code goes through `runtime`.
 */
export function compileAst(
  ast: AstNode,
  templateName: string | undefined,
  runtime: Readonly<NunjucksRuntime>,
): CompiledTemplateSource {
  const compiler = new internals.compiler.Compiler(templateName, false);
  // nunjucks copies callee names into a JS string escaping only `"`; a name with a
  // backslash (from a string literal key) would end that string early.
  const nodeName = compiler._getNodeName.bind(compiler);
  compiler._getNodeName = (node) => nodeName(node).replace(/[\\"\p{Cc}\u2028\u2029]/gu, '?');
  compiler.compile(transformer.transform(ast, [], templateName));
  // Same evaluation nunjucks itself performs on compiled template code.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const templateFactory = new Function(compiler.getCode()) as () => Record<string, unknown>;
  return { type: 'code', obj: withRuntime(templateFactory(), runtime) };
}

type RenderFunction = (
  environment: unknown,
  context: unknown,
  frame: unknown,
  runtime: unknown,
  callback: unknown,
) => unknown;

/**
 * The compiled code with its root render function bound to `runtime`. nunjucks enters a
 * template only through `root` (render, import, include, extends); blocks are called by
 * compiled code, which passes its own runtime on (and `super()` finds a block by identity,
 * so block functions stay as they are).
 */
function withRuntime(
  code: Record<string, unknown>,
  runtime: Readonly<NunjucksRuntime>,
): Record<string, unknown> {
  const root = code['root'] as RenderFunction;
  return {
    ...code,
    root: (environment: unknown, context: unknown, frame: unknown, _: unknown, callback: unknown) =>
      root(environment, context, frame, runtime, callback),
  };
}

/** Wrap a compiled source as a nunjucks Template bound to an environment. */
export function createTemplate(
  source: CompiledTemplateSource,
  environment: nunjucks.Environment,
  path: string | undefined,
): nunjucks.Template {
  const TemplateClass = nunjucks.Template as unknown as new (
    src: CompiledTemplateSource,
    environment: nunjucks.Environment,
    path?: string,
  ) => nunjucks.Template;
  return new TemplateClass(source, environment, path);
}

/**
 * A synchronous nunjucks loader over `load`: undefined means "not found" (which
 * `{% include ... ignore missing %}` tolerates). Serves compiled code, never source text.
 */
export function createCompiledLoader(
  load: (name: string) => { source: CompiledTemplateSource; path: string } | undefined,
): nunjucks.ILoader {
  return {
    getSource(name: string) {
      const loaded = load(name);
      if (!loaded) return null as unknown as nunjucks.LoaderSource;
      // nunjucks accepts compiled code in place of source text (its precompiled form).
      return { src: loaded.source as unknown as string, path: loaded.path, noCache: false };
    },
  };
}

/** nunjucks' TemplateError: carries lineno/colno and a message that nunjucks prefixes with the path. */
export interface NunjucksTemplateError extends Error {
  lineno?: number;
  colno?: number;
  cause?: unknown;
}

export function isNunjucksTemplateError(error: unknown): error is NunjucksTemplateError {
  return error instanceof internals.lib.TemplateError;
}

/** Text marked safe by nunjucks (macro output, `safe` filter): a String-like object. */
export function isSafeString(value: unknown): boolean {
  return value instanceof internals.runtime.SafeString;
}
