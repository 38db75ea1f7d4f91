/**
 * Jinja2's operators where Python and JS disagree: `==`/`!=` compare by value, `in` looks
 * into str, list and dict, `+` joins lists, `*` repeats a str or list, `%` formats a str
 * and takes the divisor's sign for numbers. The rewrite (rewrite-template-ast.ts) routes
 * these operators here; `-`, `/`, `//`, `**` and ordering behave alike in both languages.
 */
import { TaskflowError } from '../errors.js';
import { percentFormat } from './percent-format.js';
import { methodOwner, pythonEquals } from './python-methods.js';
import { pythonStr, sequenceKind } from './python-repr.js';

/** `a == b < c`: each comparison of neighbours holds (Python's chained comparison). */
export function compareChain(first: unknown, ...rest: unknown[]): boolean {
  let left = first;
  for (let index = 0; index < rest.length; index += 2) {
    const right = rest[index + 1];
    if (!compareTwo(left, String(rest[index]), right)) return false;
    left = right;
  }
  return true;
}

function compareTwo(left: unknown, operator: string, right: unknown): boolean {
  const [a, b] = [left as number, right as number];
  switch (operator) {
    case '==':
    case '===':
      return pythonEquals(left, right);
    case '!=':
    case '!==':
      return !pythonEquals(left, right);
    case '<':
      return a < b;
    case '>':
      return a > b;
    case '<=':
      return a <= b;
    default:
      return a >= b;
  }
}

/** Python's `value in container` on data: substring, list item, dict key. */
export function contains(container: unknown, value: unknown): boolean {
  switch (methodOwner(container)) {
    case 'str':
      return String(container).includes(pythonStr(value));
    case 'list':
      return (container as unknown[]).some((item) => pythonEquals(item, value));
    case 'dict':
      return Object.hasOwn(container as object, String(value));
    default:
      throw operatorError(`argument of type '${typeName(container)}' is not iterable`);
  }
}

/** `left + right`, `left * right` or `left % right` as Python computes them. */
export function arithmetic(operator: string, left: unknown, right: unknown): unknown {
  switch (operator) {
    case '+':
      if (Array.isArray(left) && Array.isArray(right))
        return [...(left as unknown[]), ...(right as unknown[])];
      return (left as number) + (right as number);
    case '*': {
      const repeated = repeat(left, right) ?? repeat(right, left);
      return repeated ?? (left as number) * (right as number);
    }
    default:
      return remainder(left, right);
  }
}

function repeat(sequence: unknown, times: unknown): unknown {
  if (typeof times !== 'number' || !Number.isInteger(times)) return undefined;
  const count = Math.max(0, times);
  if (methodOwner(sequence) === 'str') return String(sequence).repeat(count);
  if (Array.isArray(sequence))
    return Array.from({ length: count }, () => sequence as unknown[]).flat(1);
  return undefined;
}

function remainder(left: unknown, right: unknown): unknown {
  if (methodOwner(left) === 'str') {
    if (sequenceKind(right) === 'tuple') return percentFormat(String(left), right as unknown[]);
    if (methodOwner(right) === 'dict')
      return percentFormat(String(left), [], right as Record<string, unknown>);
    return percentFormat(String(left), [right]);
  }
  if (typeof left !== 'number' || typeof right !== 'number') return Number.NaN;
  if (right === 0) throw operatorError('integer division or modulo by zero');
  return left - right * Math.floor(left / right);
}

function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  return typeof value === 'number' ? (Number.isInteger(value) ? 'int' : 'float') : typeof value;
}

function operatorError(message: string): TaskflowError {
  return new TaskflowError('template', message);
}
