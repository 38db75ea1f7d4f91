/** Characters of a value shown in messages and manifest previews. */
export const PREVIEW_CHARS = 200;

/** The first `maxChars` characters of a text, with `…` when it was longer. */
export function preview(text: string, maxChars = PREVIEW_CHARS): string {
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
}

/**
 * The newest lines of `lines` that fit `maxLines` and `maxBytes` (UTF-8, a newline counted
 * per line), oldest first. Whole lines are dropped from the front; only a newest line that
 * alone exceeds `maxBytes` is cut, keeping its start and marking the cut with `…` (the
 * redactor also removes a secret's part next to that mark).
 */
export function tailLines(
  lines: readonly string[],
  limits: { maxLines: number; maxBytes: number },
): string[] {
  const kept: string[] = [];
  let bytes = 0;
  for (let index = lines.length - 1; index >= 0 && kept.length < limits.maxLines; index--) {
    const line = lines[index] ?? '';
    const size = Buffer.byteLength(line) + 1;
    if (bytes + size > limits.maxBytes) {
      if (kept.length === 0) kept.push(cutToBytes(line, limits.maxBytes - 1));
      break;
    }
    kept.push(line);
    bytes += size;
  }
  return kept.reverse();
}

/** The start of `text` within `maxBytes` UTF-8 bytes, `…` included, whole characters only. */
function cutToBytes(text: string, maxBytes: number): string {
  const budget = maxBytes - Buffer.byteLength('…');
  let used = 0;
  let end = 0;
  for (const character of text) {
    const size = Buffer.byteLength(character);
    if (used + size > budget) break;
    used += size;
    end += character.length;
  }
  return `${text.slice(0, end)}…`;
}
