/**
 * Template text -> compiled nunjucks code: parse, check names of filters and tests, rewrite
 * (rewrite-template-ast.ts), compile. Problems come back as issues, never thrown, so the
 * same code serves syntax checks and rendering.
 */
import { parseTemplate } from './jinja-parser.js';
import {
  astNodes,
  compileAst,
  type AstNode,
  type CompiledTemplateSource,
} from './nunjucks-internals.js';
import { rewriteCapturedExpression, rewriteTemplate } from './rewrite-template-ast.js';
import { SANDBOXED_RUNTIME } from './sandboxed-runtime.js';
import { forEachNode, isAstNode } from './template-ast-nodes.js';
import { issueFromCompileError, type TemplateIssue } from './template-errors.js';
import { sandboxIssues } from './template-sandbox-issues.js';

export interface TemplateCompileOptions {
  /** Path reported by errors raised while rendering this template; undefined for none. */
  readonly filePath?: string;
  /** Undefined variables are errors (rendering) or plain undefined (expressions). */
  readonly strict: boolean;
  readonly isKnownFilter: (name: string) => boolean;
  readonly isKnownTest: (name: string) => boolean;
}

export type CompileOutcome =
  | { readonly source: CompiledTemplateSource; readonly issues?: undefined }
  | { readonly source?: undefined; readonly issues: readonly TemplateIssue[] };

const REFERENCE_NODES = new Set(['Include', 'Import', 'FromImport', 'Extends']);

export function compileTemplate(text: string, options: TemplateCompileOptions): CompileOutcome {
  const parsed = parse(text);
  if ('issues' in parsed) return parsed;
  const issues = [...unknownNameIssues(parsed.ast, options), ...sandboxIssues(parsed.ast)];
  if (issues.length > 0) return { issues };
  rewriteTemplate(parsed.ast, { strict: options.strict, filePath: options.filePath ?? '' });
  return compile(parsed.ast, text, options.filePath);
}

/**
 * Compile a bare Jinja expression (`globals.x and outputs.y`); `{{ expression }}` is accepted
 * too. The compiled template writes the value into the `__taskflow_capture_slot` context entry.
 */
export function compileExpression(
  expression: string,
  options: TemplateCompileOptions,
): CompileOutcome {
  const shift = expressionColumnShift(expression);
  const outcome = compileExpressionText(shift === 0 ? expression : `{{ ${expression} }}`, options);
  if (shift === 0 || outcome.issues === undefined) return outcome;
  return { issues: outcome.issues.map((issue) => shiftIssue(issue, shift, expression.length + 1)) };
}

/** Columns added in front of a bare expression to make it a template (`{{ `). */
export function expressionColumnShift(expression: string): number {
  return expression.trimStart().startsWith('{{') ? 0 : 3;
}

/** Positions relative to what the user wrote: line 1 loses the added `{{ `. */
export function shiftIssue<T extends { line: number; column: number }>(
  issue: T,
  shift: number,
  maxColumn: number,
): T {
  if (issue.line !== 1 || shift === 0) return issue;
  return { ...issue, column: Math.max(1, Math.min(issue.column - shift, maxColumn)) };
}

/** Literal names in `{% include %}` (except `ignore missing`), `{% import %}`, `{% from %}`,
 *  `{% extends %}`; [] on a syntax error. */
export function listTemplateReferences(text: string): string[] {
  const parsed = parse(text);
  if ('issues' in parsed) return [];
  const names = new Set<string>();
  forEachNode(parsed.ast, (node) => {
    if (!REFERENCE_NODES.has(node.typename) || node['ignoreMissing'] === true) return;
    const template = node['template'] as AstNode | null;
    if (template?.typename === 'Literal' && typeof template['value'] === 'string')
      names.add(template['value']);
  });
  return [...names];
}

function compileExpressionText(text: string, options: TemplateCompileOptions): CompileOutcome {
  const parsed = parse(text);
  if ('issues' in parsed) return parsed;
  const single = singleExpression(parsed.ast);
  if ('issue' in single) return { issues: [single.issue] };
  const issues = [
    ...unknownNameIssues(single.expression, options),
    ...sandboxIssues(single.expression),
  ];
  if (issues.length > 0) return { issues };
  const capture = rewriteCapturedExpression(single.expression, {
    strict: options.strict,
    filePath: options.filePath ?? '',
  });
  parsed.ast['children'] = [new astNodes.Output(0, 0, [capture])];
  return compile(parsed.ast, text, options.filePath);
}

function parse(text: string): { ast: AstNode } | { issues: readonly TemplateIssue[] } {
  try {
    return { ast: parseTemplate(text) };
  } catch (error) {
    return { issues: [issueFromCompileError(error, text)] };
  }
}

function compile(ast: AstNode, text: string, filePath: string | undefined): CompileOutcome {
  try {
    return { source: compileAst(ast, filePath, SANDBOXED_RUNTIME) };
  } catch (error) {
    return { issues: [issueFromCompileError(error, text)] };
  }
}

/** The one expression of `{{ expression }}`, ignoring surrounding whitespace. */
function singleExpression(root: AstNode): { expression: AstNode } | { issue: TemplateIssue } {
  const parts: AstNode[] = [];
  for (const statement of nodeArray(root['children'])) {
    if (statement.typename !== 'Output') {
      parts.push(statement);
      continue;
    }
    for (const child of nodeArray(statement['children'])) {
      if (child.typename !== 'TemplateData' || String(child['value']).trim() !== '')
        parts.push(child);
    }
  }
  const [first, second] = parts;
  if (first && !second && first.typename !== 'TemplateData' && first.typename !== 'Output') {
    return { expression: first };
  }
  const at = second ?? first;
  const message = first ? 'expected a single expression' : 'expected an expression';
  return { issue: { line: (at?.lineno ?? 0) + 1, column: (at?.colno ?? 0) + 1, message } };
}

function unknownNameIssues(root: AstNode, options: TemplateCompileOptions): TemplateIssue[] {
  const issues: TemplateIssue[] = [];
  const report = (at: AstNode, message: string) =>
    issues.push({ line: at.lineno + 1, column: at.colno + 1, message });
  forEachNode(root, (node) => {
    if (node.typename === 'Filter' || node.typename === 'FilterAsync') {
      const name = node['name'] as AstNode;
      if (!options.isKnownFilter(String(name['value'])))
        report(name, `unknown filter "${String(name['value'])}"`);
    } else if (node.typename === 'Is') {
      const right = node['right'] as AstNode;
      const name = right.typename === 'FunCall' ? (right['name'] as AstNode) : right;
      if (!options.isKnownTest(String(name['value'])))
        report(name, `unknown test "${String(name['value'])}"`);
    }
  });
  return issues;
}

function nodeArray(value: unknown): AstNode[] {
  return Array.isArray(value) ? (value as unknown[]).filter(isAstNode) : [];
}
