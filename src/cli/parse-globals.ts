import { TaskflowError } from '../errors.js';

/** Split `-g KEY=VALUE` values at the first `=`. */
export function parseGlobalFlags(values: readonly string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const value of values) {
    const index = value.indexOf('=');
    if (index <= 0)
      throw new TaskflowError('usage', `-g expects KEY=VALUE, got ${JSON.stringify(value)}`);
    result[value.slice(0, index)] = value.slice(index + 1);
  }
  return result;
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
    const current = declared[key];
    if (typeof current === 'number') {
      const number = Number(text);
      if (text.trim() === '' || !Number.isFinite(number)) {
        throw new TaskflowError(
          'usage',
          `-g ${key}: the taskflow declares a number, got ${JSON.stringify(text)}`,
        );
      }
      result[key] = number;
    } else if (typeof current === 'boolean') {
      if (!/^(true|false)$/i.test(text.trim())) {
        throw new TaskflowError(
          'usage',
          `-g ${key}: the taskflow declares true/false, got ${JSON.stringify(text)}`,
        );
      }
      result[key] = text.trim().toLowerCase() === 'true';
    } else {
      result[key] = text;
    }
  }
  return result;
}
