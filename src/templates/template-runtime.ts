/**
 * Functions the rewritten templates call at render time (see rewrite-template-ast.ts), plus
 * the `env()` global and Jinja2's filters and tests (jinja-filters.ts). Every error here is
 * a TaskflowError that already carries the file path, line and column the rewrite baked
 * into the call.
 */
import { TaskflowError, errorMessage, isTaskflowError } from '../errors.js';
import { SLICE_HELPER } from './jinja-parser.js';
import { jinjaFilters, jinjaTests, splitArguments } from './jinja-filters.js';
import { isTruthy } from './is-truthy.js';
import { pythonTypeName } from './percent-format.js';
import { callPythonMethod, methodOwner, pythonSlice } from './python-methods.js';
import { arithmetic, compareChain, contains } from './python-operators.js';
import { pythonStr, tagSequence } from './python-repr.js';
import { HELPER_NAMES } from './rewrite-template-ast.js';
import {
  FORBIDDEN_MEMBERS,
  TemplateSandboxError,
  checkCallable,
  isTrustedFunction,
  readMember,
} from './template-sandbox.js';

export interface TemplateRuntimeOptions {
  readonly environment: Readonly<Record<string, string | undefined>>;
  readonly resolvePrompt: (name: string) => { text: string; filePath: string };
  readonly onEnvRead?: (name: string, value: string) => void;
}

/** Slot that an evaluated expression writes its value into. */
export interface CaptureSlot {
  value: unknown;
}

export interface TemplateRuntime {
  readonly globals: Readonly<Record<string, unknown>>;
  readonly filters: Readonly<Record<string, (...args: unknown[]) => unknown>>;
  readonly tests: Readonly<Record<string, (...args: unknown[]) => boolean>>;
  /** Prompt lookup, memoised for the renderer's lifetime (includes repeat per item). */
  readonly resolvePrompt: (name: string) => { text: string; filePath: string };
}

export function createTemplateRuntime(options: TemplateRuntimeOptions): TemplateRuntime {
  const prompts = new Map<string, { text: string; filePath: string }>();
  const resolvePrompt = (name: string) => {
    let prompt = prompts.get(name);
    if (!prompt) {
      prompt = options.resolvePrompt(name);
      prompts.set(name, prompt);
    }
    return prompt;
  };

  const readEnvironment = (site: Site, args: unknown[]): string => {
    const { positional, keywords } = splitArguments(args);
    const [name, positionalDefault] = positional;
    if (typeof name !== 'string' || name === '') {
      throw templateError('env() needs a variable name as its first argument', site);
    }
    const value = Object.hasOwn(options.environment, name) ? options.environment[name] : undefined;
    if (value !== undefined) {
      options.onEnvRead?.(name, value);
      return value;
    }
    const fallback = positionalDefault ?? keywords['default'];
    if (fallback !== undefined && fallback !== null) return formatOutputValue(fallback);
    if (keywords['required'] === false) return '';
    throw templateError(`environment variable "${name}" is not set`, site);
  };

  const globals: Record<string, unknown> = {
    env: (...args: unknown[]) => readEnvironment({ filePath: '', line: 0, column: 0 }, args),
    // Python spellings used by seclab templates, e.g. env('X', required=False).
    True: true,
    False: false,
    None: null,
    [HELPER_NAMES.value]: (
      value: unknown,
      label: string,
      filePath: string,
      line: number,
      column: number,
    ) => {
      if (value === undefined)
        throw templateError(`undefined variable "${label}"`, { filePath, line, column });
      return value;
    },
    [HELPER_NAMES.output]: (
      value: unknown,
      label: string,
      filePath: string,
      line: number,
      column: number,
    ) => {
      if (value === undefined) {
        const message =
          label === '' ? 'expression is undefined' : `expression "${label}" is undefined`;
        throw templateError(message, { filePath, line, column });
      }
      return formatOutputValue(value);
    },
    [HELPER_NAMES.truth]: (value: unknown) => (isTruthy(value) ? value : false),
    [HELPER_NAMES.env]: (filePath: string, line: number, column: number, ...args: unknown[]) =>
      readEnvironment({ filePath, line, column }, args),
    [HELPER_NAMES.include]: (name: unknown, filePath: string, line: number, column: number) => {
      const site = { filePath, line, column };
      if (typeof name !== 'string')
        throw templateError('include needs a prompt name (a string)', site);
      try {
        resolvePrompt(name);
      } catch (error) {
        const code = isTaskflowError(error) ? error.code : 'reference-unresolved';
        throw new TaskflowError(code, `cannot include "${name}": ${errorMessage(error)}`, {
          ...siteFields(site),
          cause: error,
        });
      }
      return name;
    },
    [HELPER_NAMES.capture]: (slot: CaptureSlot, value: unknown) => {
      slot.value = value;
      return '';
    },
    [HELPER_NAMES.method]: callMethod,
    [HELPER_NAMES.item]: (
      target: unknown,
      key: unknown,
      label: string,
      filePath: string,
      line: number,
      column: number,
    ) => atSite({ filePath, line, column }, () => readMember(target, key, label)),
    [HELPER_NAMES.callable]: (
      callee: unknown,
      label: string,
      filePath: string,
      line: number,
      column: number,
    ) => atSite({ filePath, line, column }, () => checkCallable(callee, label)),
    [HELPER_NAMES.dict]: dictOf,
    [HELPER_NAMES.tuple]: (...items: unknown[]) => tagSequence(items, 'tuple'),
    [HELPER_NAMES.loop]: loopItems,
    [HELPER_NAMES.compare]: compareChain,
    [HELPER_NAMES.arithmetic]: (
      filePath: string,
      line: number,
      column: number,
      operator: string,
      left: unknown,
      right: unknown,
    ) => atSite({ filePath, line, column }, () => arithmetic(operator, left, right)),
    [SLICE_HELPER]: (filePath: string, line: number, column: number, ...args: unknown[]) =>
      atSite({ filePath, line, column }, () => pythonSlice(args[0], args[1], args[2], args[3])),
    [HELPER_NAMES.concat]: (left: unknown, right: unknown) => pythonStr(left) + pythonStr(right),
    [HELPER_NAMES.contains]: (
      filePath: string,
      line: number,
      column: number,
      value: unknown,
      container: unknown,
    ) => atSite({ filePath, line, column }, () => contains(container, value)),
  };

  return { globals, filters: jinjaFilters, tests: jinjaTests, resolvePrompt };
}

/** How a value prints in `{{ }}`: as Jinja2 prints it, Python's `str()`. */
export function formatOutputValue(value: unknown): string {
  return pythonStr(value);
}

/**
 * `target.name(args)`: a function the target holds itself (a macro of an imported
 * template, a cycler's `next`), else the Python method of the target's type.
 */
function callMethod(
  target: unknown,
  name: string,
  label: string,
  filePath: string,
  line: number,
  column: number,
  ...args: unknown[]
): unknown {
  const site = { filePath, line, column };
  if (typeof target === 'object' && target !== null && Object.hasOwn(target, name)) {
    const own = (target as Record<string, unknown>)[name];
    if (isTrustedFunction(own))
      return (own as (...values: unknown[]) => unknown).apply(target, args);
  }
  const { positional, keywords } = splitArguments(args);
  const call = atSite(site, () => callPythonMethod(target, name, positional, keywords));
  if (call) return call.value;
  const type = target === undefined ? 'undefined' : pythonTypeName(target);
  const message = `${label} (${type}) has no method "${name}"`;
  // Asking for a JavaScript internal is a sandbox refusal, whatever the method table says.
  if (FORBIDDEN_MEMBERS.has(name) || typeof target === 'function')
    throw new TemplateSandboxError(message, siteFields(site));
  throw templateError(message, site);
}

/** A dict literal from `key, value, ...` pairs; every key is an own data property, even
 *  `__proto__`. */
function dictOf(...pairs: unknown[]): Record<string, unknown> {
  const dict: Record<string, unknown> = {};
  for (let index = 0; index + 1 < pairs.length; index += 2) {
    Object.defineProperty(dict, String(pairs[index]), {
      value: pairs[index + 1],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return dict;
}

/** What `{% for x in value %}` walks: a dict's keys, a string's characters, else the value. */
function loopItems(value: unknown): unknown {
  if (methodOwner(value) === 'dict') return Object.keys(value as object);
  if (methodOwner(value) === 'str') return [...String(value)];
  return value;
}

/** Run `action`; a template error it throws without a position gets `site`'s. */
function atSite<T>(site: Site, action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (!isTaskflowError(error) || error.line !== undefined) throw error;
    throw new TaskflowError(error.code, error.message, { ...siteFields(site), cause: error });
  }
}

interface Site {
  readonly filePath: string;
  readonly line: number;
  readonly column: number;
}

function siteFields(site: Site): { filePath?: string; line?: number; column?: number } {
  return {
    ...(site.filePath === '' ? {} : { filePath: site.filePath }),
    ...(site.line > 0 ? { line: site.line, column: site.column } : {}),
  };
}

function templateError(message: string, site: Site): TaskflowError {
  return new TaskflowError('template', message, siteFields(site));
}
