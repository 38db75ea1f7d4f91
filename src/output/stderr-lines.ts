/** A failed shell task's stderr tail, ready for a terminal, a CI log or Markdown. */
import { sanitizeText } from './format.js';

/** Characters of one shown stderr line; the engine already bounds the whole tail (4 KB). */
const MAX_LINE_CHARS = 1000;

/**
 * The lines as they may be printed: escape sequences and control characters removed (a
 * script's colours must not recolour the user's terminal or reach plain logs), trailing
 * blanks cut, blank lines dropped, each at most MAX_LINE_CHARS (`…` marks a cut).
 */
export function shownStderrLines(lines: readonly string[] | undefined): string[] {
  return (lines ?? [])
    .flatMap((line) => sanitizeText(line).split('\n'))
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '')
    .map((line) => (line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line));
}
