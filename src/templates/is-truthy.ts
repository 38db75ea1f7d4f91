/**
 * Jinja (Python) truthiness: `false`, `null`, `undefined`, 0, NaN, '', and empty lists,
 * dicts, maps and sets are false; everything else is true. Differs from JS, where `[]` and
 * `{}` are true.
 */
export function isTruthy(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'number':
      return value !== 0 && !Number.isNaN(value);
    case 'bigint':
      return value !== 0n;
    case 'string':
      return value.length > 0;
    case 'object':
      if (Array.isArray(value)) return value.length > 0;
      if (value instanceof Map || value instanceof Set) return value.size > 0;
      // nunjucks' SafeString (macro output) is a String object.
      if (value instanceof String) return value.length > 0;
      if (isPlainObject(value)) return Object.keys(value).length > 0;
      return true;
    default:
      return true;
  }
}

function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
