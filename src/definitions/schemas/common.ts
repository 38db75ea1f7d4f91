import * as z from '../../zod.js';

/** A string that is not empty (a fresh schema each call: descriptions attach to it). */
export const nonEmptyString = () => z.string().check(z.minLength(1));

/** A reference: dotted import path or file path. */
export const refSchema = nonEmptyString().check(
  z.describe('dotted import path (a.b.name) or file path'),
);

/** A map of string keys to any YAML value. */
export const anyMapSchema = z.record(z.string(), z.unknown());

/** Environment-style map: templates; numbers and booleans are coerced to strings. */
export const stringishMapSchema = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.boolean()]),
);

/** Duration: `90s`, `10m`, `1h`, `500ms`, `1m30s`, or a number of seconds. */
export const DURATION_PATTERN = /^\s*(\d+(\.\d+)?(ms|s|m|h)\s*)+$/;
export const durationSchema = z.union([
  z.string().check(z.regex(DURATION_PATTERN, 'expected a duration such as 90s, 10m or 1h30m')),
  z.number().check(z.positive()),
]);

export const headerSchema = z
  .strictObject({
    version: z.union([z.string(), z.number()]).check(z.describe('grammar version, "1.0"')),
    filetype: z.enum(['taskflow', 'personality', 'toolbox', 'prompt', 'model_config']),
  })
  .check(z.describe('file header'));

export { HEADER_KEY } from '../header-key.js';

/** An optional field (absent or null) with its description (shown by `taskflow schema`). */
export function nullishField<T extends z.ZodMiniType>(
  schema: T,
  description?: string,
): z.ZodMiniOptional<z.ZodMiniNullable<T>> {
  const field = z.nullish(schema);
  return description === undefined ? field : field.check(z.describe(description));
}
