/**
 * Python's string algorithms that differ from JS's nearest built-ins: whitespace as
 * `str.isspace` defines it, `split()` without a separator, `splitlines`, `title`.
 */

/** Characters `str.isspace()` accepts (ASCII and Unicode separators). */
const SPACE =
  '\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000';
const IS_SPACE = new RegExp(`[${SPACE}]`);

/** Python's `str.isspace()` for one character. */
export function isPythonSpace(character: string): boolean {
  return IS_SPACE.test(character);
}
/** Line boundaries of `str.splitlines()` (`\r\n` counts as one); Python counts the ASCII
 *  separators \x1c-\x1e as line breaks. */
// eslint-disable-next-line no-control-regex
const LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/g;

/** `strip`/`lstrip`/`rstrip`: whitespace, or any of `chars` when given (not None). */
export function stripText(
  text: string,
  side: 'start' | 'end' | 'both',
  chars: string | undefined,
): string {
  const strip = (character: string) =>
    chars === undefined ? IS_SPACE.test(character) : chars.includes(character);
  const characters = [...text];
  let start = 0;
  let end = characters.length;
  if (side !== 'end') while (start < end && strip(characters[start] ?? '')) start += 1;
  if (side !== 'start') while (end > start && strip(characters[end - 1] ?? '')) end -= 1;
  return characters.slice(start, end).join('');
}

/**
 * `split`/`rsplit`: at `separator`, or at runs of whitespace (ignoring leading and trailing
 * whitespace) when it is undefined; at most `maxsplit` splits when >= 0, counted from the
 * right for rsplit.
 */
export function splitText(
  text: string,
  fromRight: boolean,
  separator: string | undefined,
  maxsplit: number,
): string[] {
  const limit = maxsplit < 0 ? Infinity : maxsplit;
  if (separator !== undefined) {
    const parts = text.split(separator);
    if (parts.length - 1 <= limit) return parts;
    return fromRight
      ? [parts.slice(0, parts.length - limit).join(separator), ...parts.slice(parts.length - limit)]
      : [...parts.slice(0, limit), parts.slice(limit).join(separator)];
  }
  const characters = fromRight ? [...text].reverse() : [...text];
  const words: string[] = [];
  let index = 0;
  for (;;) {
    while (index < characters.length && IS_SPACE.test(characters[index] ?? '')) index += 1;
    if (index >= characters.length) break;
    if (words.length >= limit) {
      words.push(characters.slice(index).join(''));
      break;
    }
    const start = index;
    while (index < characters.length && !IS_SPACE.test(characters[index] ?? '')) index += 1;
    words.push(characters.slice(start, index).join(''));
  }
  return fromRight ? words.map((word) => [...word].reverse().join('')).reverse() : words;
}

/** `splitlines(keepends)`: no empty last line for a trailing break. */
export function splitLines(text: string, keepEnds: boolean): string[] {
  const lines: string[] = [];
  let start = 0;
  for (const match of text.matchAll(LINE_BREAK)) {
    const end = match.index + (keepEnds ? match[0].length : 0);
    lines.push(text.slice(start, end));
    start = match.index + match[0].length;
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}

const isCased = (character: string) => character.toLowerCase() !== character.toUpperCase();

/** `str.title()`: upper-case a cased letter that follows no cased letter, lower-case the rest. */
export function titleCase(text: string): string {
  let output = '';
  let previousCased = false;
  for (const character of text) {
    const cased = isCased(character);
    output += cased
      ? previousCased
        ? character.toLowerCase()
        : character.toUpperCase()
      : character;
    previousCased = cased;
  }
  return output;
}

/** `str.capitalize()`: first character upper-cased, the rest lower-cased. */
export function capitalizeText(text: string): string {
  const [first = '', ...rest] = text;
  return first.toUpperCase() + rest.join('').toLowerCase();
}
