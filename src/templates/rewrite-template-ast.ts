/**
 * Rewrites a parsed template so nunjucks behaves like Jinja2 with StrictUndefined: every
 * variable read goes through a helper that names the variable when it is undefined, every
 * `{{ }}` and `~` prints values as Python does, conditions use Jinja truthiness, `x in y`
 * uses Python equality, `value.method(...)` calls the Python method of the value's type,
 * and `env()`, `{% include %}`, method calls and slices carry their source position.
 * Member reads and calls go through the sandbox helpers (template-sandbox.ts) with their
 * position; sandboxed-runtime.ts guards whatever this rewrite leaves to nunjucks.
 *
 * The walk is a whitelist: only positions known to hold expressions are rewritten, so a
 * node type this file does not know keeps plain nunjucks behaviour instead of breaking.
 */
import { SLICE_HELPER } from './jinja-parser.js';
import { astNodes, type AstNode } from './nunjucks-internals.js';
import {
  BINARY_OPERATORS,
  asNodes,
  children,
  describeExpression,
  field,
  helperCall,
  literal,
  optionalField,
  startOf,
} from './template-ast-nodes.js';

export { describeExpression } from './template-ast-nodes.js';

/** Names of the runtime helpers the rewritten tree calls (registered as environment globals). */
export const HELPER_NAMES = {
  value: '__taskflow_value',
  output: '__taskflow_output',
  truth: '__taskflow_truth',
  env: '__taskflow_env',
  include: '__taskflow_include',
  capture: '__taskflow_capture',
  captureSlot: '__taskflow_capture_slot',
  method: '__taskflow_method',
  item: '__taskflow_item',
  compare: '__taskflow_compare',
  arithmetic: '__taskflow_arithmetic',
  tuple: '__taskflow_tuple',
  loop: '__taskflow_loop',
  concat: '__taskflow_concat',
  contains: '__taskflow_in',
  callable: '__taskflow_callable',
  dict: '__taskflow_dict',
} as const;

/** Tests and filters whose first operand may be undefined without an error (as in Jinja). */
const UNDEFINED_SAFE_TESTS = new Set(['defined', 'undefined']);
const UNDEFINED_SAFE_FILTERS = new Set(['default', 'd']);
/** Operators whose Python meaning differs from JS's for some operand types. */
const ARITHMETIC_OPERATORS: Readonly<Record<string, string>> = { Add: '+', Mul: '*', Mod: '%' };

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
      case 'AsyncAll': {
        const items = this.expression(field(node, 'arr'), this.options.strict);
        // One loop name iterates like Jinja2 (dict keys, characters); `k, v` keeps nunjucks' pairs.
        node['arr'] =
          field(node, 'name').typename === 'Array'
            ? items
            : helperCall(HELPER_NAMES.loop, items, [items]);
        this.statement(optionalField(node, 'body'));
        this.statement(optionalField(node, 'else_'));
        return;
      }
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
      case 'Macro':
      case 'Caller':
        // Default values of arguments (`{% macro m(a=expression) %}`); as in Jinja2, an
        // undefined default is an error only where it is used.
        for (const argument of children(field(node, 'args')))
          if (argument.typename === 'KeywordArgs') this.expression(argument, false);
        this.statement(optionalField(node, 'body'));
        return;
      case 'Capture':
      case 'Block':
        this.statement(optionalField(node, 'body'));
        return;
      case 'Import':
      case 'FromImport':
      case 'Extends': {
        const template = field(node, 'template');
        if (template.typename !== 'Literal')
          node['template'] = this.expression(template, this.options.strict);
        return;
      }
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
        const target = field(node, 'target');
        const targetLabel = describeExpression(target) ?? '';
        const key = field(node, 'val');
        const site = this.site(startOf(key));
        // Python's negative indices and the sandbox's rules: the item helper, with its site.
        const lookup = helperCall(HELPER_NAMES.item, node, [
          this.expression(target, strict),
          key.typename === 'Literal' ? key : this.expression(key, strict),
          literal(key, targetLabel),
          ...site,
        ]);
        return strict ? this.checked(lookup, label ?? 'value', startOf(node)) : lookup;
      }
      case 'Group': {
        const items = children(node).map((child) => this.expression(child, strict));
        node['children'] = items;
        // `(a, b)` is a tuple in Jinja2; nunjucks would evaluate it like JS's comma operator.
        return items.length === 1 ? node : helperCall(HELPER_NAMES.tuple, node, items);
      }
      case 'Array':
        node['children'] = children(node).map((child) => this.expression(child, strict));
        return node;
      case 'Dict':
      case 'KeywordArgs':
        for (const pair of children(node))
          pair['value'] = this.expression(field(pair, 'value'), strict);
        return node.typename === 'Dict' ? this.dict(node) : node;
      case 'Or':
        // Python's `a or b` is `a if a else b` under Python truthiness; feeding JS `||` a
        // value that is `false` exactly when Jinja finds it falsy gives the same result.
        node['left'] = this.condition(field(node, 'left'), strict);
        node['right'] = this.expression(field(node, 'right'), strict);
        return node;
      case 'And': {
        // `a and b` is `b if a else a`: a falsy `a` is the result itself (`0 and 1` is 0).
        const left = this.expression(field(node, 'left'), strict);
        const right = this.expression(field(node, 'right'), strict);
        const test = helperCall(HELPER_NAMES.truth, node, [left]);
        return new astNodes.InlineIf(node.lineno, node.colno, test, right, left);
      }
      case 'Add':
      case 'Mul':
      case 'Mod':
        return helperCall(HELPER_NAMES.arithmetic, node, [
          ...this.site(startOf(node)),
          literal(node, ARITHMETIC_OPERATORS[node.typename] ?? '+'),
          this.expression(field(node, 'left'), strict),
          this.expression(field(node, 'right'), strict),
        ]);
      case 'Not':
        node['target'] = this.condition(field(node, 'target'), strict);
        return node;
      case 'Neg':
      case 'Pos':
        node['target'] = this.expression(field(node, 'target'), strict);
        return node;
      case 'Is':
        return this.test(node, strict);
      case 'Concat':
        return helperCall(HELPER_NAMES.concat, node, [
          this.expression(field(node, 'left'), strict),
          this.expression(field(node, 'right'), strict),
        ]);
      case 'In':
        return helperCall(HELPER_NAMES.contains, node, [
          ...this.site(startOf(node)),
          this.expression(field(node, 'left'), strict),
          this.expression(field(node, 'right'), strict),
        ]);
      case 'Compare': {
        // Python's comparisons: `==` by value (lists, dicts), no JS type coercion.
        const operands = asNodes(node['ops']).flatMap((operand) => [
          literal(operand, String(operand['type'])),
          this.expression(field(operand, 'expr'), strict),
        ]);
        return helperCall(HELPER_NAMES.compare, node, [
          this.expression(field(node, 'expr'), strict),
          ...operands,
        ]);
      }
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
      if (name['value'] === SLICE_HELPER)
        return helperCall(SLICE_HELPER, node, [...this.site(node), ...children(args)]);
      if (name['value'] !== 'env') return node;
      return helperCall(HELPER_NAMES.env, node, [...this.site(startOf(node)), ...children(args)]);
    }
    const key = name.typename === 'LookupVal' ? field(name, 'val') : undefined;
    if (key?.typename === 'Literal' && typeof key['value'] === 'string') {
      // `value.method(...)`: the value must exist; the method is looked up by its Python type.
      const target = field(name, 'target');
      const label = describeExpression(target) ?? 'value';
      return helperCall(HELPER_NAMES.method, key, [
        this.expression(target, strict),
        literal(key, key['value']),
        literal(key, label),
        ...this.site(key),
        ...children(args),
      ]);
    }
    // Any other callee (`f(...)`, `(x)(...)`) must be one of the template's own functions.
    const label = describeExpression(name) ?? 'value';
    const site = this.site(startOf(name));
    node['name'] = helperCall(HELPER_NAMES.callable, name, [
      this.expression(name, strict),
      literal(name, label),
      ...site,
    ]);
    return node;
  }

  /** A dict literal with a `"__proto__"` key: built by a helper, since a JS object literal
   *  would take it as the prototype instead of a key. */
  private dict(node: AstNode): AstNode {
    const pairs = children(node);
    const isProtoKey = (pair: AstNode) => field(pair, 'key')['value'] === '__proto__';
    if (!pairs.some((pair) => field(pair, 'key').typename === 'Literal' && isProtoKey(pair)))
      return node;
    return helperCall(
      HELPER_NAMES.dict,
      node,
      pairs.flatMap((pair) => {
        const key = field(pair, 'key');
        const name = key.typename === 'Symbol' ? literal(key, String(key['value'])) : key;
        return [name, field(pair, 'value')];
      }),
    );
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
