import { TaskflowError } from '../errors.js';

/**
 * Parse `-g KEY=VALUE` values as seclab does (cli.py `_parse_global`): split at the first
 * `=`, strip surrounding whitespace from key and value; an empty key or value is allowed.
 * A later flag for the same key wins.
 *
 * @throws TaskflowError 'usage' for a value without `=`
 */
export function parseGlobalFlags(values: readonly string[]): Record<string, string> {
  const result = new Map<string, string>();
  for (const value of values) {
    const index = value.indexOf('=');
    if (index < 0)
      throw new TaskflowError('usage', `-g expects KEY=VALUE, got ${JSON.stringify(value)}`);
    result.set(value.slice(0, index).trim(), value.slice(index + 1).trim());
  }
  // fromEntries defines own properties, so even a key like "__proto__" is kept as data.
  return Object.fromEntries(result);
}

/**
 * Layer CLI globals over the taskflow's. CLI values are strings, except where the taskflow
 * declares the global as a number or boolean: then the value must parse as one.
 */
export function applyGlobalOverrides(
  declared: Readonly<Record<string, unknown>>,
  overrides: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const result: Record<string, unknown> = { ...declared };
  for (const [key, text] of Object.entries(overrides)) {
    const current = Object.hasOwn(declared, key) ? declared[key] : undefined;
    if (typeof current === 'number') {
      const number = Number(text);
      if (text.trim() === '' || !Number.isFinite(number)) {
        throw new TaskflowError(
          'usage',
          `-g ${key}: the taskflow declares a number, got ${JSON.stringify(text)}`,
        );
      }
      setOwn(result, key, number);
    } else if (typeof current === 'boolean') {
      if (!/^(true|false)$/i.test(text.trim())) {
        throw new TaskflowError(
          'usage',
          `-g ${key}: the taskflow declares true/false, got ${JSON.stringify(text)}`,
        );
      }
      setOwn(result, key, text.trim().toLowerCase() === 'true');
    } else {
      setOwn(result, key, text);
    }
  }
  return result;
}

/** Assigns as an own data property (plain assignment to "__proto__" would be lost). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}
