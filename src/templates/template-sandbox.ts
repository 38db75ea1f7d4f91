/**
 * What a template may touch. Taskflows, prompts and toolboxes are shared as packages, so a
 * template must not run code that the taskflow's `run:` did not declare. Templates read
 * data and call the template's own functions; nothing else of JavaScript is reachable:
 *
 * - A member read returns an own data property of an object (a dict, `loop`, a cycler), a
 *   list or a str (items by index, negative from the end, and `length`). `constructor`, `__proto__` and
 *   `prototype` are refused on anything (`dict.get('constructor')` reads such a data key);
 *   so is any inherited member, any member of a function, and any function value that is
 *   not one of the template's own functions. A name that is simply absent reads as
 *   undefined (StrictUndefined then names it).
 * - A call succeeds only for a function trusted here: the environment's globals (`env`,
 *   `range`, `cycler`, `joiner` and the runtime helpers), what `cycler()`/`joiner()`
 *   return, and macros (including `caller`). Filters, tests and Python methods are called
 *   by name from their own tables, never as values.
 *
 * Refusals are TemplateSandboxErrors (code 'template'), recognisable through wrapping
 * causes with isSandboxRefusal: callers that tolerate an unrenderable value (a toolbox
 * `env` key left out) must still fail on them.
 */
import { TaskflowError, type TaskflowErrorFields } from '../errors.js';
import { isSafeString } from './nunjucks-internals.js';

/** Member names refused on every value, even as own data (read them with `.get()`). */
export const FORBIDDEN_MEMBERS: ReadonlySet<string> = new Set([
  'constructor',
  '__proto__',
  'prototype',
]);

/** A template tried to reach JavaScript beyond its data and its own functions. */
export class TemplateSandboxError extends TaskflowError {
  override readonly name: string = 'TemplateSandboxError';

  constructor(message: string, fields: TaskflowErrorFields = {}) {
    super('template', message, fields);
  }
}

/** True when `error`, or an error in its `cause` chain, is a sandbox refusal. */
export function isSandboxRefusal(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 10 && current instanceof Error; depth += 1) {
    if (current instanceof TemplateSandboxError) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

const trusted = new WeakSet<object>();

/** Let templates call `value` (a function of the template engine itself); returns it. */
export function trustFunction<T>(value: T): T {
  if (typeof value === 'function') trusted.add(value);
  return value;
}

/** Trust a function result, or the own function members of an object result (a cycler). */
export function trustResult<T>(value: T): T {
  if (typeof value === 'function') return trustFunction(value);
  if (typeof value === 'object' && value !== null)
    for (const member of Object.values(value)) trustFunction(member);
  return value;
}

export function isTrustedFunction(value: unknown): boolean {
  return typeof value === 'function' && trusted.has(value);
}

/**
 * `target[key]` under the rules above; `label` names the target in messages ('' for none).
 * @throws TemplateSandboxError for a refused member (no position: callers add theirs)
 */
export function readMember(target: unknown, key: unknown, label = ''): unknown {
  if (target === undefined || target === null) return undefined;
  const name = isSafeString(key) ? String(key) : key;
  if (typeof name !== 'string' && typeof name !== 'number') return undefined;
  if (FORBIDDEN_MEMBERS.has(String(name))) throw refusedRead(name, label);
  if (typeof target === 'function')
    throw new TemplateSandboxError(
      `cannot read "${name}" of ${label || 'a function'}: a function has no readable members in templates`,
    );
  const text = textOf(target);
  if (typeof name === 'number') {
    // Python indexing: integers only, negative from the end, a str by code points.
    if (!Number.isInteger(name)) return undefined;
    if (text !== undefined) return [...text].at(name);
    if (Array.isArray(target)) return checkedValue(target.at(name), name, label);
  }
  const holder = (text === undefined ? Object(target) : new String(text)) as object;
  const descriptor = Object.getOwnPropertyDescriptor(holder, name);
  if (descriptor && 'value' in descriptor)
    return checkedValue(descriptor.value as unknown, name, label);
  if (descriptor || name in holder) throw refusedRead(name, label);
  return undefined;
}

/** A member's value, unless it is a function the template may not call. */
function checkedValue(value: unknown, name: string | number, label: string): unknown {
  if (typeof value === 'function' && !isTrustedFunction(value)) throw refusedRead(name, label);
  return value;
}

/**
 * Check that `callee` may be called; returns it. A value that is not a function is
 * returned as it is (the call then fails with nunjucks' "Unable to call" message).
 * @throws TemplateSandboxError for a function that is not the template's own
 */
export function checkCallable(callee: unknown, label: string): unknown {
  if (typeof callee === 'function' && !isTrustedFunction(callee))
    throw new TemplateSandboxError(
      `cannot call ${label}: templates call only their own functions (env, range, cycler, joiner, macros), filters and methods`,
    );
  return callee;
}

export function refusedRead(name: string | number, label?: string): TemplateSandboxError {
  const of = label === undefined || label === '' ? '' : ` of ${label}`;
  return new TemplateSandboxError(
    `cannot read "${name}"${of}: templates read data (dict keys, list and str items), never JavaScript members`,
  );
}

/** The text of a str: a string, a String object or nunjucks' SafeString; else undefined. */
function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof String || isSafeString(value))
    return (value as { toString(): string }).toString();
  return undefined;
}
