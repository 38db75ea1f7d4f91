/**
 * Secrets cut in two: a bounded message or preview ends with `…` where it was cut (and a
 * tail starts with `…`), which can leave the first or last characters of a secret next to
 * the mark. A stream of deltas can likewise end in the middle of a secret.
 */

/** Shorter parts next to a cut mark are left alone: they reveal nothing and match too often. */
export const MIN_CUT_PART = 4;
const CUT_MARK = '…';
/** Characters examined on each side of a mark: more than any secret is long. */
const LOOK_AROUND = 4096;

/**
 * `text` with every secret's head just before, and tail just after, a `…` replaced; the
 * text itself (not a copy) when there is none, so large values cost only the search.
 */
export function redactCutParts(
  text: string,
  secrets: readonly string[],
  replacement: string,
): string {
  let result = '';
  let copiedUpTo = 0;
  let mark = text.indexOf(CUT_MARK);
  while (mark !== -1) {
    const head = secretHeadAtEnd(
      text.slice(Math.max(copiedUpTo, mark - LOOK_AROUND), mark),
      secrets,
      MIN_CUT_PART,
    );
    const afterMark = mark + CUT_MARK.length;
    const tail = secretTailAtStart(
      text.slice(afterMark, afterMark + LOOK_AROUND),
      secrets,
      MIN_CUT_PART,
    );
    if (head > 0 || tail > 0) {
      result += `${text.slice(copiedUpTo, mark - head)}${head > 0 ? replacement : ''}${CUT_MARK}${tail > 0 ? replacement : ''}`;
      copiedUpTo = afterMark + tail;
    }
    mark = text.indexOf(CUT_MARK, afterMark);
  }
  return copiedUpTo === 0 ? text : `${result}${text.slice(copiedUpTo)}`;
}

/**
 * The length of the longest end of `text` (at least `minLength`) that is the beginning of
 * a secret but not all of it; 0 when there is none.
 */
export function secretHeadAtEnd(text: string, secrets: readonly string[], minLength = 1): number {
  let best = 0;
  for (const secret of secrets) {
    const first = secret[0];
    if (first === undefined) continue;
    // Candidate starts are the occurrences of the secret's first character, earliest
    // (longest head) first, within the last `secret.length - 1` characters.
    let start = text.indexOf(first, Math.max(0, text.length - secret.length + 1));
    while (start !== -1 && text.length - start > best) {
      const length = text.length - start;
      if (length < minLength) break;
      if (secret.startsWith(text.slice(start))) {
        best = length;
        break;
      }
      start = text.indexOf(first, start + 1);
    }
  }
  return best;
}

function secretTailAtStart(text: string, secrets: readonly string[], minLength: number): number {
  let best = 0;
  for (const secret of secrets) {
    const last = secret.at(-1);
    if (last === undefined) continue;
    // Candidate ends are the occurrences of the secret's last character, latest first.
    let end = text.lastIndexOf(last, Math.min(text.length, secret.length - 1) - 1);
    while (end !== -1 && end + 1 > best) {
      const length = end + 1;
      if (length < minLength) break;
      if (secret.endsWith(text.slice(0, length))) {
        best = length;
        break;
      }
      end = end === 0 ? -1 : text.lastIndexOf(last, end - 1);
    }
  }
  return best;
}
