import type { ParsedYaml } from './parse-yaml.js';
import { acceptanceRules, type LaxScalarRule } from './seclab-acceptance.js';
import type { Filetype } from './types.js';

type Mapping = Record<string, unknown>;

const isMapping = (value: unknown): value is Mapping =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * Rewrite the forms seclab accepts (seclab-acceptance.ts) into the ones grammar.md
 * describes, before the shape check: missing file fields get seclab's defaults, pydantic's
 * lax scalars become booleans and numbers, and task fields written with their "not given"
 * value are dropped. Returns a ParsedYaml over the rewritten value (positions are those of
 * the file); `parsed` itself is not modified.
 */
export function acceptSeclabForms(parsed: ParsedYaml, filetype: Filetype): ParsedYaml {
  if (!isMapping(parsed.value)) return parsed;
  const value = cloneContainers(parsed.value);
  for (const rule of acceptanceRules('file-default')) {
    if (rule.filetype === filetype && value[rule.field] == null)
      value[rule.field] = structuredClone(rule.value);
  }
  for (const rule of acceptanceRules('lax-scalar')) {
    if (rule.filetype === filetype) coerceAt(value, rule.path, rule.type);
  }
  if (filetype === 'taskflow' && Array.isArray(value.taskflow)) {
    for (const item of value.taskflow) {
      const task = isMapping(item) ? item.task : undefined;
      if (!isMapping(task)) continue;
      for (const rule of acceptanceRules('task-unset')) {
        if (isUnset(task[rule.field], rule.value)) delete task[rule.field];
      }
    }
  }
  return { ...parsed, value };
}

/**
 * A copy of the mappings and lists of a parsed value (the rules above rewrite them in
 * place), keeping shared ones shared as YAML aliases made them. Strings and other scalars
 * are immutable and not copied: a large global stays one string.
 */
function cloneContainers<T>(value: T, copies = new Map<object, unknown>()): T {
  if (value === null || typeof value !== 'object') return value;
  const known = copies.get(value);
  if (known !== undefined) return known as T;
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    copies.set(value, copy);
    for (const item of value) copy.push(cloneContainers(item, copies));
    return copy as T;
  }
  const copy: Mapping = {};
  copies.set(value, copy);
  for (const [key, child] of Object.entries(value as Mapping)) {
    const cloned = cloneContainers(child, copies);
    // `__proto__` is a key like any other here, never the prototype.
    if (key === '__proto__')
      Object.defineProperty(copy, key, {
        value: cloned,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    else copy[key] = cloned;
  }
  return copy as T;
}

function isUnset(written: unknown, unset: unknown): boolean {
  if (Array.isArray(unset)) return Array.isArray(written) && written.length === 0;
  return written === unset;
}

/** Apply a lax conversion to every field matching `fieldPath` (`*` = every list item). */
function coerceAt(
  container: unknown,
  fieldPath: readonly string[],
  type: LaxScalarRule['type'],
): void {
  const [head, ...rest] = fieldPath;
  if (head === undefined) return;
  if (head === '*') {
    if (Array.isArray(container)) for (const item of container) coerceAt(item, rest, type);
    return;
  }
  if (!isMapping(container) || !(head in container)) return;
  if (rest.length > 0) {
    coerceAt(container[head], rest, type);
    return;
  }
  const converted = laxScalar(container[head], type);
  if (converted !== undefined) container[head] = converted;
}

const TRUE_WORDS = new Set(['1', 'on', 't', 'true', 'y', 'yes']);
const FALSE_WORDS = new Set(['0', 'off', 'f', 'false', 'n', 'no']);
const INTEGER = /^\s*[+-]?\d+\s*$/;
const DECIMAL = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/** pydantic's lax reading of a scalar; undefined when it would reject the value too. */
export function laxScalar(
  value: unknown,
  type: LaxScalarRule['type'],
): boolean | number | undefined {
  switch (type) {
    case 'bool':
      if (value === 0 || value === 1) return value === 1;
      if (typeof value !== 'string') return undefined;
      if (TRUE_WORDS.has(value.toLowerCase())) return true;
      return FALSE_WORDS.has(value.toLowerCase()) ? false : undefined;
    case 'int':
      if (typeof value === 'string' && INTEGER.test(value)) return Number(value);
      return undefined;
    case 'float':
      if (typeof value === 'string' && DECIMAL.test(value)) return Number(value);
      return undefined;
  }
}
