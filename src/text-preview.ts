/** Characters of a value shown in messages and manifest previews. */
export const PREVIEW_CHARS = 200;

/** The first `maxChars` characters of a text, with `…` when it was longer. */
export function preview(text: string, maxChars = PREVIEW_CHARS): string {
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
}
