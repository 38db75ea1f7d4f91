/**
 * Which members of the template variables (`globals.fruit`, `globals['fruit']`) a template
 * reads, found in its syntax tree without rendering it, so a load can tell a reference to a
 * global nobody declared before anything runs.
 */
import { expressionColumnShift } from './compile-template.js';
import { parseTemplate } from './jinja-parser.js';
import type { AstNode } from './nunjucks-internals.js';
import { asNodes, children, field, isAstNode } from './template-ast-nodes.js';

/** One read of `root.member` in a template. */
export interface MemberRead {
  readonly root: string;
  readonly member: string;
  /** 1-based position of the root name in the template text. */
  readonly line: number;
  readonly column: number;
  /**
   * The template lets it be undefined, as Jinja does: the read is the input of `default`,
   * or tested with `is defined` / `is undefined`, or `'member' in root` is tested; or the
   * text is an expression (`if`, `over`), where an undefined value is just false.
   */
  readonly guarded: boolean;
}

/** Tests and filters that accept an undefined operand (as in the renderer's rewrite). */
const GUARDING_TESTS = new Set(['defined', 'undefined']);
const GUARDING_FILTERS = new Set(['default', 'd']);

/**
 * Reads of a literal member of one of `roots` in `text`, in order; undefined when the text
 * does not parse (its syntax check reports that). With `expression`, `text` is a bare Jinja
 * expression and every read is guarded. A method call (`globals.get('x')`) reads nothing.
 */
export function listMemberReads(
  text: string,
  roots: readonly string[],
  options: { expression?: boolean } = {},
): MemberRead[] | undefined {
  const shift = options.expression ? expressionColumnShift(text) : 0;
  let root: AstNode;
  try {
    root = parseTemplate(shift === 0 ? text : `{{ ${text} }}`);
  } catch {
    return undefined;
  }
  const reads: MemberRead[] = [];
  const wanted = new Set(roots);
  const visit = (node: AstNode, guarded: boolean): void => {
    const read = memberRead(node, wanted);
    if (read) {
      const line = read.at.lineno + 1;
      const column = read.at.colno + 1 - (line === 1 ? shift : 0);
      reads.push({ root: read.root, member: read.member, line, column, guarded });
      return;
    }
    switch (node.typename) {
      case 'FunCall': {
        const callee = field(node, 'name');
        // `root.method(...)`: a method of the mapping, not a member read.
        if (memberRead(callee, wanted) === undefined) visit(callee, guarded);
        for (const argument of children(field(node, 'args'))) visit(argument, guarded);
        return;
      }
      case 'Filter': {
        const name = String(field(node, 'name')['value']);
        children(field(node, 'args')).forEach((argument, index) =>
          visit(argument, guarded || (index === 0 && GUARDING_FILTERS.has(name))),
        );
        return;
      }
      case 'Is': {
        const right = field(node, 'right');
        const test = right.typename === 'FunCall' ? field(right, 'name') : right;
        visit(field(node, 'left'), guarded || GUARDING_TESTS.has(String(test['value'])));
        visit(right, guarded);
        return;
      }
      case 'In': {
        const left = field(node, 'left');
        const right = field(node, 'right');
        // `'member' in root` tests for the member: a guarded read of it.
        if (
          left.typename === 'Literal' &&
          typeof left['value'] === 'string' &&
          right.typename === 'Symbol' &&
          wanted.has(String(right['value']))
        ) {
          const line = right.lineno + 1;
          const column = right.colno + 1 - (line === 1 ? shift : 0);
          const member = left['value'];
          reads.push({ root: String(right['value']), member, line, column, guarded: true });
          return;
        }
        visit(left, guarded);
        visit(right, guarded);
        return;
      }
      default:
        for (const child of childNodes(node)) visit(child, guarded);
    }
  };
  visit(root, options.expression === true);
  return reads;
}

/** `root.member` / `root['member']` with a literal member, and where the root name is. */
function memberRead(
  node: AstNode,
  roots: ReadonlySet<string>,
): { root: string; member: string; at: AstNode } | undefined {
  if (node.typename !== 'LookupVal') return undefined;
  const target = field(node, 'target');
  const key = field(node, 'val');
  if (target.typename !== 'Symbol' || !roots.has(String(target['value']))) return undefined;
  if (key.typename !== 'Literal' || typeof key['value'] !== 'string') return undefined;
  return { root: String(target['value']), member: key['value'], at: target };
}

/** Every child node (fields, lists and `body`). */
function childNodes(node: AstNode): AstNode[] {
  const keys = node.fields.includes('body') ? node.fields : [...node.fields, 'body'];
  return keys.flatMap((key) => {
    const value = node[key];
    return (Array.isArray(value) ? asNodes(value) : [value]).filter(isAstNode);
  });
}
