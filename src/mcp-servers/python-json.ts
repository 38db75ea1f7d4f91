import { jsonDumps } from '../python/json-dumps.js';

/**
 * JSON text laid out as Python's `json.dumps` lays it out with its default options
 * (../python/json-dumps.ts), which is what seclab-taskflow-agent's servers answer with and
 * write to disk: members in insertion order, `", "` and `": "` between items without
 * `indent`, `","` plus newlines with it, and every character outside printable ASCII
 * written as a `\uXXXX` escape (`ensure_ascii`).
 *
 * Values are JSON values as `JSON.parse` returns them; a number prints as JavaScript prints it
 * (`1.0` parsed from JSON is already `1`).
 */
export function pythonJsonDumps(
  value: unknown,
  options: { readonly indent?: number } = {},
): string {
  return jsonDumps(value, { indent: options.indent, formatNumber: javascriptNumber });
}

function javascriptNumber(value: number): string {
  return JSON.stringify(value);
}
