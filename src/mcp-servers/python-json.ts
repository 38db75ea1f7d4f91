/**
 * JSON text laid out as Python's `json.dumps` lays it out with its default options, which is
 * what seclab-taskflow-agent's servers answer with and write to disk: `", "` and `": "`
 * between items without `indent`, `","` plus newlines with it, and every character outside
 * printable ASCII written as a `\uXXXX` escape (`ensure_ascii`).
 *
 * Values are JSON values as `JSON.parse` returns them; a number prints as JavaScript prints it
 * (`1.0` parsed from JSON is already `1`).
 */
export function pythonJsonDumps(
  value: unknown,
  options: { readonly indent?: number } = {},
): string {
  const text =
    options.indent === undefined
      ? compact(value)
      : (JSON.stringify(value, null, options.indent) ?? 'null');
  // Outside strings JSON text is plain ASCII, so escaping the whole text only touches strings.
  return text.replace(/[\u007f-\uffff]/g, (character) => {
    return `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

function compact(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(compact).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    const members = Object.entries(value).map(
      ([key, member]) => `${JSON.stringify(key)}: ${compact(member)}`,
    );
    return `{${members.join(', ')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
