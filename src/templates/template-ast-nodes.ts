/**
 * Reading and building nunjucks AST nodes for the rewrite: typed field access, helper calls,
 * and the two facts messages need about an expression (its source-like text, where it
 * starts).
 */
import { SLICE_HELPER } from './jinja-parser.js';
import { astNodes, type AstNode } from './nunjucks-internals.js';

/** Operators with `left`/`right` operands. */
export const BINARY_OPERATORS = new Set([
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
      const callee = field(node, 'name');
      if (callee.typename === 'Symbol' && callee['value'] === SLICE_HELPER) {
        const target = children(field(node, 'args'))[0];
        const described = target === undefined ? undefined : describeExpression(target);
        return described === undefined ? undefined : `${described}[...]`;
      }
      const name = describeExpression(callee);
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

/** Where an expression starts in the source (a chain's root symbol, a filter's input). */
export function startOf(node: AstNode): AstNode {
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

export function helperCall(name: string, at: AstNode, args: AstNode[]): AstNode {
  const symbol = new astNodes.Symbol(at.lineno, at.colno, name);
  return new astNodes.FunCall(
    at.lineno,
    at.colno,
    symbol,
    new astNodes.NodeList(at.lineno, at.colno, args),
  );
}

export function literal(at: AstNode, value: string | number): AstNode {
  return new astNodes.Literal(at.lineno, at.colno, value);
}

export function field(node: AstNode, name: string): AstNode {
  return node[name] as AstNode;
}

export function optionalField(node: AstNode, name: string): AstNode | undefined {
  return (node[name] as AstNode | null | undefined) ?? undefined;
}

export function children(node: AstNode): AstNode[] {
  return asNodes(node['children']);
}

export function asNodes(value: unknown): AstNode[] {
  return Array.isArray(value) ? (value as AstNode[]) : [];
}

/** Depth-first walk over the tree, including `body` (set blocks keep it outside `fields`). */
export function forEachNode(node: AstNode, visit: (node: AstNode) => void): void {
  visit(node);
  const keys = node.fields.includes('body') ? node.fields : [...node.fields, 'body'];
  for (const key of keys) {
    const value = node[key];
    for (const child of Array.isArray(value) ? (value as unknown[]) : [value]) {
      if (isAstNode(child)) forEachNode(child, visit);
    }
  }
}

export function isAstNode(value: unknown): value is AstNode {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { typename?: unknown }).typename === 'string'
  );
}
