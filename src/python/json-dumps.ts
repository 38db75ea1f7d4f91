/**
 * Python's `json.dumps` with its default `ensure_ascii`: `", "` and `": "` between items on
 * one line; with `indent`, one item a line and `","` after each; every character outside
 * printable ASCII written as a `\uXXXX` escape of its UTF-16 units. Both the template
 * renderer's `tojson` (templates/python-json.ts) and the bundled MCP servers
 * (mcp-servers/python-json.ts) print through this; it imports no vendor, so the servers'
 * processes load it as they are.
 *
 * Values are data: strings, numbers, booleans, null, arrays and plain objects, plus String
 * objects (nunjucks' SafeString is one) as their text and Maps. `undefined` prints as `null`
 * in an array and is left out of an object, as JSON.stringify does.
 */
import { TaskflowError } from '../errors.js';
import { pythonNumber } from './number-repr.js';

export interface JsonDumpsOptions {
  /** Python's `indent`: a number of spaces or the text itself per level; absent: one line. */
  readonly indent?: number | string;
  /** Python's `sort_keys=True`: members in the order of their keys (by UTF-16 units). */
  readonly sortKeys?: boolean;
  /** How a number prints; by default as Python prints data (pythonNumber), with `NaN`,
   *  `Infinity` and `-Infinity` spelled as Python's json writes them. */
  readonly formatNumber?: (value: number) => string;
}

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
 * The JSON text of `value`, laid out as `json.dumps` lays it out.
 * @throws TaskflowError 'internal' for what JSON cannot hold (a function, a symbol, a
 *   circular reference); callers that take values from users say it in their own words.
 */
export function jsonDumps(value: unknown, options: JsonDumpsOptions = {}): string {
  const { indent } = options;
  const unit = typeof indent === 'number' ? ' '.repeat(Math.max(0, indent)) : indent;
  const writer: JsonWriter = {
    unit,
    sortKeys: options.sortKeys === true,
    formatNumber: options.formatNumber ?? jsonNumber,
    open: new Set(),
  };
  return jsonOf(value, writer, '');
}

interface JsonWriter {
  readonly unit: string | undefined;
  readonly sortKeys: boolean;
  readonly formatNumber: (value: number) => string;
  /** Containers being written, to refuse a circular reference. */
  readonly open: Set<object>;
}

function jsonOf(value: unknown, writer: JsonWriter, depth: string): string {
  switch (typeof value) {
    case 'string':
      return jsonString(value);
    case 'number':
      return writer.formatNumber(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return 'null';
    case 'object':
      break;
    default:
      throw new TaskflowError('internal', `a ${typeof value} is not JSON serializable`);
  }
  if (value === null) return 'null';
  if (value instanceof String) return jsonString(value.toString());
  if (writer.open.has(value)) throw new TaskflowError('internal', 'circular reference');
  writer.open.add(value);
  try {
    const inner = writer.unit === undefined ? undefined : depth + writer.unit;
    const parts = Array.isArray(value)
      ? value.map((item) => jsonOf(item, writer, inner ?? ''))
      : entriesOf(value, writer.sortKeys).map(
          ([key, item]) => `${jsonString(key)}: ${jsonOf(item, writer, inner ?? '')}`,
        );
    const [start, end] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
    if (parts.length === 0) return `${start}${end}`;
    if (inner === undefined) return `${start}${parts.join(', ')}${end}`;
    return `${start}\n${inner}${parts.join(`,\n${inner}`)}\n${depth}${end}`;
  } finally {
    writer.open.delete(value);
  }
}

function entriesOf(value: object, sortKeys: boolean): [string, unknown][] {
  const entries = (
    value instanceof Map
      ? [...value].map(([key, item]): [string, unknown] => [String(key), item])
      : Object.entries(value)
  ).filter(([, item]) => item !== undefined);
  return sortKeys ? entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : entries;
}

/** Python's json number: the data's Python repr; NaN and infinities as json writes them. */
function jsonNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  return pythonNumber(value);
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
