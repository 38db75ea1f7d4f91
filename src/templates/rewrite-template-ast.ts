/**
 * Rewrites a parsed template so nunjucks behaves like Jinja2 with StrictUndefined: every
 * variable read goes through a helper that names the variable when it is undefined, every
 * `{{ }}` goes through an output converter (null, JSON, booleans), conditions use Jinja
 * truthiness, and `env()` / `{% include %}` calls carry their source position.
 *
 * The walk is a whitelist: only positions known to hold expressions are rewritten, so a
 * node type this file does not know keeps plain nunjucks behaviour instead of breaking.
 */
import { astNodes, type AstNode } from './nunjucks-internals.js';

/** Names of the runtime helpers the rewritten tree calls (registered as environment globals). */
export const HELPER_NAMES = {
  value: '__taskflow_value',
  output: '__taskflow_output',
  truth: '__taskflow_truth',
  env: '__taskflow_env',
  include: '__taskflow_include',
  capture: '__taskflow_capture',
  captureSlot: '__taskflow_capture_slot',
} as const;

/** Tests and filters whose first operand may be undefined without an error (as in Jinja). */
const UNDEFINED_SAFE_TESTS = new Set(['defined', 'undefined']);
const UNDEFINED_SAFE_FILTERS = new Set(['default', 'd']);
const BINARY_OPERATORS = new Set([
  'In',
  'Add',
  'Concat',
  'Sub',
  'Mul',
  'Div',
  'FloorDiv',
  'Mod',
  'Pow',
]);
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface RewriteOptions {
  /** Undefined reads are errors (rendering) or plain undefined (expression evaluation). */
  readonly strict: boolean;
  /** File path the helpers report in errors; '' for the caller's own template. */
  readonly filePath: string;
}

/** Rewrite the statements of a template in place; returns the same root. */
export function rewriteTemplate(root: AstNode, options: RewriteOptions): AstNode {
  new AstRewriter(options).statement(root);
  return root;
}

/** Rewrite one expression for evaluation; the result stores its value in the capture slot. */
export function rewriteCapturedExpression(expression: AstNode, options: RewriteOptions): AstNode {
  const value = new AstRewriter(options).expression(expression, options.strict);
  const slot = new astNodes.Symbol(expression.lineno, expression.colno, HELPER_NAMES.captureSlot);
  return helperCall(HELPER_NAMES.capture, expression, [slot, value]);
}

/** Jinja-like source text of a variable chain (`globals.fruit`, `items[0]`), for messages. */
export function describeExpression(node: AstNode): string | undefined {
  switch (node.typename) {
    case 'Symbol':
      return String(node['value']);
    case 'Literal':
      return JSON.stringify(node['value']);
    case 'LookupVal': {
      const target = describeExpression(field(node, 'target'));
      const key = field(node, 'val');
      if (target === undefined) return undefined;
      const keyValue = key.typename === 'Literal' ? key['value'] : undefined;
      if (typeof keyValue === 'string' && IDENTIFIER.test(keyValue)) return `${target}.${keyValue}`;
      return `${target}[${describeExpression(key) ?? '...'}]`;
    }
    case 'FunCall': {
      const name = describeExpression(field(node, 'name'));
      return name === undefined ? undefined : `${name}(...)`;
    }
    case 'Filter': {
      const input = children(field(node, 'args'))[0];
      const described = input === undefined ? undefined : describeExpression(input);
      return described === undefined
        ? undefined
        : `${described} | ${String(field(node, 'name')['value'])}`;
    }
    default:
      return undefined;
  }
}

class AstRewriter {
  constructor(private readonly options: RewriteOptions) {}

  statement(node: AstNode | null | undefined): void {
    if (!node) return;
    switch (node.typename) {
      case 'Root':
      case 'NodeList':
        children(node).forEach((child) => this.statement(child));
        return;
      case 'Output':
        node['children'] = children(node).map((child) =>
          child.typename === 'TemplateData' ? child : this.output(child),
        );
        return;
      case 'If':
      case 'IfAsync':
        node['cond'] = this.condition(field(node, 'cond'), this.options.strict);
        this.statement(optionalField(node, 'body'));
        this.statement(optionalField(node, 'else_'));
        return;
      case 'For':
      case 'AsyncEach':
      case 'AsyncAll':
        node['arr'] = this.expression(field(node, 'arr'), this.options.strict);
        this.statement(optionalField(node, 'body'));
        this.statement(optionalField(node, 'else_'));
        return;
      case 'Set': {
        const value = optionalField(node, 'value');
        if (value) node['value'] = this.expression(value, this.options.strict);
        this.statement(optionalField(node, 'body'));
        return;
      }
      case 'Switch':
        node['expr'] = this.expression(field(node, 'expr'), this.options.strict);
        for (const branch of asNodes(node['cases'])) {
          branch['cond'] = this.expression(field(branch, 'cond'), this.options.strict);
          this.statement(optionalField(branch, 'body'));
        }
        this.statement(optionalField(node, 'default'));
        return;
      case 'Capture':
      case 'Macro':
      case 'Caller':
      case 'Block':
        this.statement(optionalField(node, 'body'));
        return;
      case 'Include': {
        const template = field(node, 'template');
        // `ignore missing` is left to nunjucks: the loader answers "not found" for it.
        if (node['ignoreMissing'] === true) {
          if (template.typename !== 'Literal')
            node['template'] = this.expression(template, this.options.strict);
          return;
        }
        const name =
          template.typename === 'Literal'
            ? template
            : this.expression(template, this.options.strict);
        node['template'] = helperCall(HELPER_NAMES.include, template, [
          name,
          ...this.site(template),
        ]);
        return;
      }
      default:
        return;
    }
  }

  expression(node: AstNode, strict: boolean): AstNode {
    switch (node.typename) {
      case 'Symbol':
        return strict ? this.checked(node, String(node['value']), node) : node;
      case 'LookupVal': {
        const label = describeExpression(node);
        node['target'] = this.expression(field(node, 'target'), strict);
        const key = field(node, 'val');
        if (key.typename !== 'Literal') node['val'] = this.expression(key, strict);
        return strict ? this.checked(node, label ?? 'value', startOf(node)) : node;
      }
      case 'Group':
      case 'Array':
        node['children'] = children(node).map((child) => this.expression(child, strict));
        return node;
      case 'Dict':
      case 'KeywordArgs':
        for (const pair of children(node))
          pair['value'] = this.expression(field(pair, 'value'), strict);
        return node;
      case 'And':
      case 'Or':
        // Python's `a or b` is `a if a else b` under Python truthiness; feeding JS `||` a
        // value that is `false` exactly when Jinja finds it falsy gives the same result.
        node['left'] = this.condition(field(node, 'left'), strict);
        node['right'] = this.expression(field(node, 'right'), strict);
        return node;
      case 'Not':
        node['target'] = this.condition(field(node, 'target'), strict);
        return node;
      case 'Neg':
      case 'Pos':
        node['target'] = this.expression(field(node, 'target'), strict);
        return node;
      case 'Is':
        return this.test(node, strict);
      case 'Compare':
        node['expr'] = this.expression(field(node, 'expr'), strict);
        for (const operand of asNodes(node['ops']))
          operand['expr'] = this.expression(field(operand, 'expr'), strict);
        return node;
      case 'InlineIf': {
        node['cond'] = this.condition(field(node, 'cond'), strict);
        node['body'] = this.expression(field(node, 'body'), strict);
        const otherwise = optionalField(node, 'else_');
        if (otherwise) node['else_'] = this.expression(otherwise, strict);
        return node;
      }
      case 'FunCall':
        return this.functionCall(node, strict);
      case 'Filter':
        return this.filter(node, strict);
      case 'Capture':
      case 'Caller':
        this.statement(node);
        return node;
      default:
        if (BINARY_OPERATORS.has(node.typename)) {
          node['left'] = this.expression(field(node, 'left'), strict);
          node['right'] = this.expression(field(node, 'right'), strict);
        }
        return node;
    }
  }

  private output(node: AstNode): AstNode {
    const start = startOf(node);
    const label = describeExpression(node) ?? '';
    const value = this.expression(node, this.options.strict);
    return helperCall(HELPER_NAMES.output, start, [
      value,
      literal(start, label),
      ...this.site(start),
    ]);
  }

  private condition(node: AstNode, strict: boolean): AstNode {
    return helperCall(HELPER_NAMES.truth, node, [this.expression(node, strict)]);
  }

  private checked(value: AstNode, label: string, at: AstNode): AstNode {
    return helperCall(HELPER_NAMES.value, at, [value, literal(at, label), ...this.site(at)]);
  }

  private test(node: AstNode, strict: boolean): AstNode {
    const right = field(node, 'right');
    const testName = right.typename === 'FunCall' ? field(right, 'name')['value'] : right['value'];
    const leftStrict = strict && !UNDEFINED_SAFE_TESTS.has(String(testName));
    node['left'] = this.expression(field(node, 'left'), leftStrict);
    if (right.typename === 'FunCall') {
      const args = field(right, 'args');
      args['children'] = children(args).map((child) => this.expression(child, strict));
    }
    return node;
  }

  private functionCall(node: AstNode, strict: boolean): AstNode {
    const name = field(node, 'name');
    const args = field(node, 'args');
    args['children'] = children(args).map((child) => this.expression(child, strict));
    if (name.typename === 'Symbol') {
      if (name['value'] !== 'env') return node;
      return helperCall(HELPER_NAMES.env, node, [...this.site(startOf(node)), ...children(args)]);
    }
    if (name.typename === 'LookupVal') {
      // A method call: the object must exist; the method itself is nunjucks' to report.
      name['target'] = this.expression(field(name, 'target'), strict);
      const key = field(name, 'val');
      if (key.typename !== 'Literal') name['val'] = this.expression(key, strict);
      return node;
    }
    node['name'] = this.expression(name, strict);
    return node;
  }

  private filter(node: AstNode, strict: boolean): AstNode {
    const filterName = String(field(node, 'name')['value']);
    const args = field(node, 'args');
    args['children'] = children(args).map((child, index) =>
      this.expression(child, strict && !(index === 0 && UNDEFINED_SAFE_FILTERS.has(filterName))),
    );
    return node;
  }

  /** Literal arguments telling a helper where it sits: file path, 1-based line and column. */
  private site(at: AstNode): AstNode[] {
    return [
      literal(at, this.options.filePath),
      literal(at, at.lineno + 1),
      literal(at, at.colno + 1),
    ];
  }
}

/** Where an expression starts in the source (a chain's root symbol, a filter's input). */
function startOf(node: AstNode): AstNode {
  switch (node.typename) {
    case 'LookupVal':
      return startOf(field(node, 'target'));
    case 'FunCall':
      return startOf(field(node, 'name'));
    case 'Filter': {
      const input = children(field(node, 'args'))[0];
      return input ? startOf(input) : node;
    }
    default:
      return BINARY_OPERATORS.has(node.typename) || node.typename === 'Is'
        ? startOf(field(node, 'left'))
        : node;
  }
}

function helperCall(name: string, at: AstNode, args: AstNode[]): AstNode {
  const symbol = new astNodes.Symbol(at.lineno, at.colno, name);
  return new astNodes.FunCall(
    at.lineno,
    at.colno,
    symbol,
    new astNodes.NodeList(at.lineno, at.colno, args),
  );
}

function literal(at: AstNode, value: string | number): AstNode {
  return new astNodes.Literal(at.lineno, at.colno, value);
}

function field(node: AstNode, name: string): AstNode {
  return node[name] as AstNode;
}

function optionalField(node: AstNode, name: string): AstNode | undefined {
  return (node[name] as AstNode | null | undefined) ?? undefined;
}

function children(node: AstNode): AstNode[] {
  return asNodes(node['children']);
}

function asNodes(value: unknown): AstNode[] {
  return Array.isArray(value) ? (value as AstNode[]) : [];
}
