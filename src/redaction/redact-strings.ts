/**
 * Applies `redact` to every string inside a JSON-like value (object keys included) and
 * returns a copy of only the parts that changed: the value itself when nothing did. The
 * value is walked, never serialised and parsed again, so numbers, booleans and null stay
 * what they are and no redaction can make the structure invalid.
 */
export function redactStrings<T>(value: T, redact: (text: string) => string): T {
  return walk(value, redact) as T;
}

function walk(item: unknown, redact: (text: string) => string): unknown {
  if (typeof item === 'string') return redact(item);
  if (item === null || typeof item !== 'object') return item;
  if (Array.isArray(item)) {
    let copy: unknown[] | undefined;
    item.forEach((element: unknown, index) => {
      const next = walk(element, redact);
      if (next === element) return;
      copy ??= [...(item as unknown[])];
      copy[index] = next;
    });
    return copy ?? item;
  }
  // Serialised by their own toJSON (Date): no strings of ours inside.
  if (typeof (item as { toJSON?: unknown }).toJSON === 'function') return item;
  let copy: Record<string, unknown> | undefined;
  for (const [key, element] of Object.entries(item)) {
    const next = walk(element, redact);
    const nextKey = redact(key);
    if (next === element && nextKey === key) continue;
    copy ??= { ...(item as Record<string, unknown>) };
    if (nextKey !== key) delete copy[key];
    copy[nextKey] = next;
  }
  return copy ?? item;
}
