/**
 * Jinja2's `tojson` filter as seclab's Environment runs it: Python's `json.dumps`
 * (../python/json-dumps.ts) with `sort_keys=True` (Jinja2's default policy), then `<`, `>`,
 * `&` and `'` written as `\u003c`-style escapes so the text is safe inside HTML and
 * single-quoted strings.
 */
import { TaskflowError, isTaskflowError } from '../errors.js';
import { jsonDumps } from '../python/json-dumps.js';

const HTML_UNSAFE: Readonly<Record<string, string>> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  "'": '\\u0027',
};

/**
 * `value | tojson(indent)`: indent is a number of spaces or the indent text itself; none
 * gives one line.
 * @throws TaskflowError 'template' for a value JSON cannot hold (a function).
 */
export function toJsonFilter(value: unknown, indent?: unknown): string {
  let text: string;
  try {
    text = jsonDumps(value, {
      sortKeys: true,
      indent: typeof indent === 'number' || typeof indent === 'string' ? indent : undefined,
    });
  } catch (error) {
    if (!isTaskflowError(error)) throw error;
    throw new TaskflowError('template', `tojson: ${error.message}`, { cause: error });
  }
  return text.replace(/[<>&']/g, (character) => HTML_UNSAFE[character] ?? '');
}
