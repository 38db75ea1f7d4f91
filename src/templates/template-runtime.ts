/**
 * Functions the rewritten templates call at render time (see rewrite-template-ast.ts), plus
 * the `env()` global and the `tojson` filter. Every error here is a TaskflowError that
 * already carries the file path, line and column the rewrite baked into the call.
 */
import { TaskflowError, errorMessage, isTaskflowError } from '../errors.js';
import { isTruthy } from './is-truthy.js';
import { isSafeString } from './nunjucks-internals.js';
import { HELPER_NAMES } from './rewrite-template-ast.js';

export interface TemplateRuntimeOptions {
  readonly environment: Readonly<Record<string, string | undefined>>;
  readonly resolvePrompt: (name: string) => { text: string; filePath: string };
  readonly onEnvRead?: (name: string, value: string) => void;
}

/** Slot that an evaluated expression writes its value into. */
export interface CaptureSlot {
  value: unknown;
}

/** nunjucks passes keyword arguments as a trailing object marked with `__keywords`. */
type KeywordArguments = Readonly<Record<string, unknown>>;

export interface TemplateRuntime {
  readonly globals: Readonly<Record<string, unknown>>;
  readonly filters: Readonly<Record<string, (...args: unknown[]) => unknown>>;
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
  };

  return { globals, filters: { tojson: toJson }, resolvePrompt };
}

/** How a value prints in `{{ }}`: strings as is, null as `null`, lists and dicts as JSON. */
export function formatOutputValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value);
    case 'function':
      return `[function ${value.name || 'anonymous'}]`;
    case 'object':
      if (value === null) return 'null';
      if (isSafeString(value) || value instanceof String)
        return (value as { toString(): string }).toString();
      try {
        return JSON.stringify(value, jsonReplacer) ?? 'null';
      } catch {
        return Object.prototype.toString.call(value);
      }
    default:
      return String(value);
  }
}

/** `tojson` filter: JSON.stringify, with an optional indent (positional or `indent=`). */
function toJson(value: unknown, ...args: unknown[]): string {
  const { positional, keywords } = splitArguments(args);
  const indent = positional[0] ?? keywords['indent'];
  const spacing = typeof indent === 'number' || typeof indent === 'string' ? indent : undefined;
  return JSON.stringify(value, jsonReplacer, spacing) ?? 'null';
}

function jsonReplacer(this: unknown, _key: string, value: unknown): unknown {
  return isSafeString(value) ? String(value) : value;
}

function splitArguments(args: readonly unknown[]): {
  positional: unknown[];
  keywords: KeywordArguments;
} {
  const last = args.at(-1);
  if (
    typeof last === 'object' &&
    last !== null &&
    (last as KeywordArguments)['__keywords'] === true
  ) {
    return { positional: args.slice(0, -1), keywords: last as KeywordArguments };
  }
  return { positional: [...args], keywords: {} };
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
