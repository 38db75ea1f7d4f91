import type * as z from '../zod.js';
import { HEADER_KEY } from './header-key.js';

/**
 * A copy of `value` without the fields `schema` rejects, when dropping them makes the rest
 * pass: a file with a field of the wrong type is still checked for everything else (its
 * templates, the personalities and globals it names) in the same pass. Each rejected path
 * loses its nearest object field (`agents: [1]` loses `agents`), so the positions of the
 * fields kept do not move. Undefined when a dropped field was required or nothing is left
 * to check.
 */
export function withoutFailingFields(value: unknown, schema: z.ZodMiniType): unknown {
  const result = schema.safeParse(value);
  if (result.success) return value;
  const copy: unknown = structuredClone(value);
  let dropped = false;
  for (const issue of result.error.issues) {
    if (issue.path[0] === HEADER_KEY) continue;
    if (issue.code === 'unrecognized_keys') {
      // Unknown fields are warnings, read by nothing: they go too, uncounted.
      for (const key of issue.keys) dropField(copy, [...issue.path, key]);
      continue;
    }
    if (!dropField(copy, issue.path)) return undefined;
    dropped = true;
  }
  if (!dropped || !schema.safeParse(copy).success) return undefined;
  return copy;
}

/** Deletes the deepest object field on `fieldPath`; false when the path holds none. */
function dropField(root: unknown, fieldPath: readonly PropertyKey[]): boolean {
  let owner: Record<PropertyKey, unknown> | undefined;
  let key: PropertyKey | undefined;
  let current: unknown = root;
  for (const step of fieldPath) {
    if (current === null || typeof current !== 'object') break;
    if (!Array.isArray(current)) {
      owner = current as Record<PropertyKey, unknown>;
      key = step;
    }
    current = (current as Record<PropertyKey, unknown>)[step as never];
  }
  if (owner === undefined || key === undefined) return false;
  return delete owner[key];
}
