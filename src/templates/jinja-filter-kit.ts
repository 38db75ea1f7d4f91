/**
 * Shared pieces of the Jinja2 filters: how nunjucks passes arguments to a filter, what a
 * filter iterates, and attribute paths (`map(attribute='a.b')`).
 */
import { TaskflowError } from '../errors.js';
import { isSafeString } from './nunjucks-internals.js';
import { methodOwner } from './python-methods.js';
import { pythonStr } from './python-repr.js';

/** What nunjucks binds `this` to when it calls a filter or test. */
export interface FilterContext {
  readonly env: {
    getFilter(name: string): (this: FilterContext, ...args: unknown[]) => unknown;
    getTest(name: string): (this: FilterContext, ...args: unknown[]) => unknown;
  };
}

export type Filter = (this: FilterContext, value: unknown, ...args: unknown[]) => unknown;
export type Keywords = Readonly<Record<string, unknown>>;

/** Positional arguments and the keyword object nunjucks appends (marked `__keywords`). */
export function splitArguments(args: readonly unknown[]): {
  positional: unknown[];
  keywords: Keywords;
} {
  const last = args.at(-1);
  if (typeof last === 'object' && last !== null && (last as Keywords)['__keywords'] === true)
    return { positional: args.slice(0, -1), keywords: last as Keywords };
  return { positional: [...args], keywords: {} };
}

/** Argument `index` by position, else by keyword `name` (Python's binding for one parameter). */
export function argument(
  positional: readonly unknown[],
  keywords: Keywords,
  index: number,
  name: string,
): unknown {
  if (positional.length > index) return positional[index];
  return Object.hasOwn(keywords, name) ? keywords[name] : undefined;
}

/** The items a Jinja2 filter iterates: list items, dict keys, string characters. */
export function iterate(value: unknown, filter: string): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string' || value instanceof String || isSafeString(value))
    return [...String(value)];
  if (value instanceof Map) return [...value.keys()];
  if (value instanceof Set) return [...value];
  if (methodOwner(value) === 'dict') return Object.keys(value as object);
  throw new TaskflowError('template', `${filter}: ${pythonStr(value)} is not iterable`);
}

/** Jinja2's attribute path (`'a.b'`, `'0'`), over own data only; undefined when absent. */
export function attribute(item: unknown, path: unknown): unknown {
  let value = item;
  for (const part of String(path).split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    const key = Array.isArray(value) && /^\d+$/.test(part) ? Number(part) : part;
    if (!Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

/** `attribute`, failing (as StrictUndefined does) when the item has no such attribute. */
export function requiredAttribute(item: unknown, path: unknown, filter: string): unknown {
  const value = attribute(item, path);
  if (value === undefined)
    throw new TaskflowError(
      'template',
      `${filter}: ${pythonStr(item)} has no attribute "${String(path)}"`,
    );
  return value;
}
