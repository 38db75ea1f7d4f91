/**
 * The part of the template sandbox (template-sandbox.ts) that can be decided from the text,
 * so a shared taskflow, prompt or toolbox that tries it fails at load time, positioned:
 *
 * - reading a member spelled `constructor`, `__proto__` or `prototype` (`x.constructor`,
 *   `x["__proto__"]`); a method call of such a name is left to the method table, which has
 *   none and says so;
 * - a variable, argument or keyword named like a member of Object.prototype (`constructor`,
 *   `toString`, `__proto__`...), which nunjucks would resolve or assign through the
 *   prototype chain of its scope objects;
 * - `{% set %}` and `{% for %}` targets that are not plain names (`{% set x.y = 1 %}`
 *   would write into data shared by later tasks; Jinja2 refuses it too).
 *
 * Computed keys (`x[name]`) are refused at render time by the sandboxed lookup.
 */
import type { AstNode } from './nunjucks-internals.js';
import { asNodes, children, field, forEachNode, startOf } from './template-ast-nodes.js';
import type { TemplateIssue } from './template-errors.js';
import { FORBIDDEN_MEMBERS, refusedRead } from './template-sandbox.js';

export function sandboxIssues(root: AstNode): TemplateIssue[] {
  const issues: TemplateIssue[] = [];
  const report = (at: AstNode, message: string) =>
    issues.push({ line: at.lineno + 1, column: at.colno + 1, message });
  const callees = new Set<AstNode>();
  forEachNode(root, (node) => {
    if (node.typename === 'FunCall') callees.add(field(node, 'name'));
  });
  forEachNode(root, (node) => {
    switch (node.typename) {
      case 'LookupVal': {
        const key = field(node, 'val');
        const name = key.typename === 'Literal' ? key['value'] : undefined;
        if (!callees.has(node) && typeof name === 'string' && FORBIDDEN_MEMBERS.has(name))
          report(key, refusedRead(name).message);
        return;
      }
      case 'Symbol': {
        const name = String(node['value']);
        if (name in Object.prototype)
          report(node, `"${name}" cannot be used as a name in templates (a JavaScript internal)`);
        return;
      }
      case 'Set':
        for (const target of asNodes(node['targets'])) checkTarget(target, report);
        return;
      case 'For':
      case 'AsyncEach':
      case 'AsyncAll': {
        const name = field(node, 'name');
        const targets = name.typename === 'Array' ? children(name) : [name];
        for (const target of targets) checkTarget(target, report);
        return;
      }
      default:
        return;
    }
  });
  return issues;
}

function checkTarget(target: AstNode, report: (at: AstNode, message: string) => void): void {
  if (target.typename !== 'Symbol') report(startOf(target), 'can only assign to a name');
}
