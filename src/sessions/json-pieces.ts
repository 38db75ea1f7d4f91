/** Strings longer than this are emitted piece by piece. */
const CHUNK = 64 * 1024;

/**
 * Emits the text of `JSON.stringify(value)` in pieces — together exactly that text —
 * without building it: long strings go in chunks, so serialising a large value (a 20 MB
 * global) costs no copy of all of it. Emits nothing for a value JSON.stringify returns
 * undefined for.
 */
export function writeJsonPieces(value: unknown, emit: (piece: string) => void): void {
  if (typeof value === 'string') {
    writeString(value, emit);
    return;
  }
  if (value === null || typeof value !== 'object' || hasToJson(value)) {
    // Scalars (and the odd object with toJSON) are small: JSON.stringify decides.
    const text = JSON.stringify(value) as string | undefined;
    if (text !== undefined) emit(text);
    return;
  }
  if (Array.isArray(value)) {
    emit('[');
    value.forEach((item: unknown, index) => {
      if (index > 0) emit(',');
      if (isSkipped(item)) emit('null');
      else writeJsonPieces(item, emit);
    });
    emit(']');
    return;
  }
  emit('{');
  let first = true;
  for (const [key, child] of Object.entries(value)) {
    if (isSkipped(child)) continue;
    if (!first) emit(',');
    first = false;
    writeString(key, emit);
    emit(':');
    writeJsonPieces(child, emit);
  }
  emit('}');
}

/** Members JSON.stringify leaves out of objects (and writes as null in arrays). */
function isSkipped(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

function hasToJson(value: object): boolean {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

/** The JSON of a string, in chunks that never split a surrogate pair (JSON.stringify
 *  escapes a lone surrogate, which would change the text). */
function writeString(text: string, emit: (piece: string) => void): void {
  if (text.length <= CHUNK) {
    emit(JSON.stringify(text));
    return;
  }
  emit('"');
  for (let start = 0; start < text.length;) {
    let end = Math.min(start + CHUNK, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    emit(JSON.stringify(text.slice(start, end)).slice(1, -1));
    start = end;
  }
  emit('"');
}

/**
 * `JSON.stringify(value)` and a newline as UTF-8 buffers of about CHUNK bytes each (for
 * one `writev`), never holding the whole text as one string.
 */
export function jsonLineBuffers(value: unknown): Buffer[] {
  // Most records are small: the native serialiser is faster for them.
  if (!jsonMayExceed(value, CHUNK)) return [Buffer.from(`${JSON.stringify(value)}\n`)];
  const buffers: Buffer[] = [];
  let pending = '';
  writeJsonPieces(value, (piece) => {
    pending += piece;
    if (pending.length >= CHUNK) {
      buffers.push(Buffer.from(pending));
      pending = '';
    }
  });
  buffers.push(Buffer.from(`${pending}\n`));
  return buffers;
}

/**
 * Whether the JSON of `value` may be longer than `limit` characters, estimated from the
 * lengths of its strings and keys without building the JSON (for a large value that would
 * be one more large copy); stops counting past `limit`.
 */
export function jsonMayExceed(value: unknown, limit: number): boolean {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const next = stack.pop();
    if (typeof next === 'string') total += next.length + 2;
    else if (next !== null && typeof next === 'object') {
      for (const [key, child] of Object.entries(next)) {
        total += key.length + 4;
        stack.push(child);
      }
    } else total += 24;
    if (total > limit) return true;
  }
  return false;
}
