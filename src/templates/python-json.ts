/**
 * Jinja2's `tojson` filter as seclab's Environment runs it: Python's `json.dumps` with
 * `sort_keys=True` (Jinja2's default policy), ASCII-only output, `", "` and `": "` between
 * items (`","` when indented), then `<`, `>`, `&` and `'` written as `\u003c`-style escapes so
 * the text is safe inside HTML and single-quoted strings.
 */
import { TaskflowError } from '../errors.js';
import { isSafeString } from './nunjucks-internals.js';
import { pythonFloat, pythonStr } from './python-repr.js';

const HTML_UNSAFE: Readonly<Record<string, string>> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  "'": '\\u0027',
};
const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

/**
 * `value | tojson(indent)`: indent is a number of spaces or the indent text itself; none
 * gives one line.
 * @throws TaskflowError 'template' for a value JSON cannot hold (a function).
 */
export function toJsonFilter(value: unknown, indent?: unknown): string {
  const unit =
    typeof indent === 'number'
      ? ' '.repeat(Math.max(0, indent))
      : typeof indent === 'string'
        ? indent
        : undefined;
  return jsonOf(value, unit, '', new Set()).replace(
    /[<>&']/g,
    (character) => HTML_UNSAFE[character] ?? '',
  );
}

function jsonOf(
  value: unknown,
  unit: string | undefined,
  depth: string,
  open: Set<object>,
): string {
  switch (typeof value) {
    case 'string':
      return jsonString(value);
    case 'number':
      return jsonNumber(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return 'null';
    case 'object':
      break;
    default:
      throw new TaskflowError('template', `tojson: a ${typeof value} is not JSON serializable`);
  }
  if (value === null) return 'null';
  if (value instanceof String || isSafeString(value)) return jsonString(pythonStr(value));
  if (open.has(value)) throw new TaskflowError('template', 'tojson: circular reference');
  open.add(value);
  try {
    const inner = unit === undefined ? undefined : depth + unit;
    const parts = Array.isArray(value)
      ? value.map((item) => jsonOf(item, unit, inner ?? '', open))
      : entriesOf(value).map(
          ([key, item]) => `${jsonString(key)}: ${jsonOf(item, unit, inner ?? '', open)}`,
        );
    const [start, end] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
    if (parts.length === 0) return `${start}${end}`;
    if (inner === undefined) return `${start}${parts.join(', ')}${end}`;
    return `${start}\n${inner}${parts.join(`,\n${inner}`)}\n${depth}${end}`;
  } finally {
    open.delete(value);
  }
}

function entriesOf(value: object): [string, unknown][] {
  const entries =
    value instanceof Map
      ? [...value].map(([key, item]): [string, unknown] => [String(key), item])
      : Object.entries(value);
  return entries
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Python's float repr for non-integers; NaN and infinities as Python's json writes them. */
function jsonNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return String(value === 0 ? 0 : value);
  return pythonFloat(value);
}

/** A JSON string with every character outside printable ASCII as `\uXXXX` (UTF-16 units). */
function jsonString(text: string): string {
  let body = '';
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index] ?? '';
    const code = text.charCodeAt(index);
    const short = SHORT_ESCAPES[character];
    if (short !== undefined) body += short;
    else if (code < 0x20 || code > 0x7e) body += `\\u${code.toString(16).padStart(4, '0')}`;
    else body += character;
  }
  return `"${body}"`;
}
