/**
 * How Jinja2 prints values: Python's `str()` (in `{{ }}`, `~`, `join`, `%s`) and `repr()`
 * (inside lists and dicts, `%r`). Data comes from YAML and JSON, so the values are strings,
 * numbers, booleans, null, arrays and plain objects; arrays may be tagged as tuples or dict
 * views (what `dict.items()` returns) to print the way Python prints those.
 *
 * A JS number does not know whether it was written `2` or `2.0`: integral numbers print as
 * Python ints (`2`), others as Python floats (`0.5`, `1e-05`).
 */
import { pythonFloat, pythonNumber } from '../python/number-repr.js';
import { isSafeString } from './nunjucks-internals.js';

export { pythonFloat, pythonNumber };

export type SequenceKind = 'tuple' | 'dict_items' | 'dict_keys' | 'dict_values';

const sequenceKinds = new WeakMap<readonly unknown[], SequenceKind>();

/** Mark an array as a Python tuple or dict view (printing only; it stays a JS array). */
export function tagSequence<T extends unknown[]>(items: T, kind: SequenceKind): T {
  sequenceKinds.set(items, kind);
  return items;
}

/** The Python type an array was tagged as, if any. */
export function sequenceKind(value: unknown): SequenceKind | undefined {
  return Array.isArray(value) ? sequenceKinds.get(value) : undefined;
}

/** Python `str(value)`. */
export function pythonStr(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof String || isSafeString(value)) return boxedText(value as object);
  return pythonRepr(value);
}

/** The text of a String object (nunjucks' SafeString is one). */
function boxedText(value: object): string {
  return (value as { toString(): string }).toString();
}

/** Python `repr(value)`. */
export function pythonRepr(value: unknown): string {
  return reprOf(value, new Set());
}

function reprOf(value: unknown, open: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return quoteString(value);
    case 'number':
      return pythonNumber(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'True' : 'False';
    case 'undefined':
      return 'None';
    case 'function':
      return `[function ${value.name || 'anonymous'}]`;
    case 'symbol':
      return String(value);
    default:
      break;
  }
  if (value === null || typeof value !== 'object') return 'None';
  if (value instanceof String || isSafeString(value)) return quoteString(boxedText(value));
  if (open.has(value)) return Array.isArray(value) ? '[...]' : '{...}';
  open.add(value);
  try {
    return containerRepr(value, open);
  } finally {
    open.delete(value);
  }
}

function containerRepr(value: object, open: Set<object>): string {
  const repr = (item: unknown) => reprOf(item, open);
  if (Array.isArray(value)) {
    const items = value.map(repr);
    switch (sequenceKinds.get(value)) {
      case 'tuple':
        return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
      case undefined:
        return `[${items.join(', ')}]`;
      default:
        return `${sequenceKinds.get(value)}([${items.join(', ')}])`;
    }
  }
  if (value instanceof Map)
    return `{${[...value].map(([key, item]) => `${repr(key)}: ${repr(item)}`).join(', ')}}`;
  if (value instanceof Set)
    return value.size === 0 ? 'set()' : `{${[...value].map(repr).join(', ')}}`;
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return boxedText(value);
  const entries = Object.entries(value).filter(([, item]) => item !== undefined);
  return `{${entries.map(([key, item]) => `${quoteString(key)}: ${repr(item)}`).join(', ')}}`;
}

/** Characters Python's repr escapes: not printable (`str.isprintable`) except the space. */
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;
const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/** Python's `repr(str)`: single quotes unless the text has `'` and no `"`. */
export function quoteString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let body = '';
  for (const character of text) {
    const short = SHORT_ESCAPES[character];
    if (short !== undefined) body += short;
    else if (character === quote) body += `\\${quote}`;
    else if (character !== ' ' && NOT_PRINTABLE.test(character)) body += escapeCode(character);
    else body += character;
  }
  return `${quote}${body}${quote}`;
}

function escapeCode(character: string): string {
  const code = character.codePointAt(0) ?? 0;
  if (code < 0x100) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code < 0x10000) return `\\u${code.toString(16).padStart(4, '0')}`;
  return `\\U${code.toString(16).padStart(8, '0')}`;
}
