/** Edit distance (insertions, deletions, substitutions, adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  return boundedEditDistance(a, b, Math.max(a.length, b.length));
}

/** Rows reused by every comparison (grown as needed): a look-up allocates nothing. */
let rows = [new Int32Array(64), new Int32Array(64), new Int32Array(64)] as const;

/**
 * Edit distance when it is at most `max`, else `max + 1`. A common prefix and suffix are
 * skipped (they never change the distance), then three rolling rows; stops as soon as
 * every entry of a row exceeds `max` (the distance only grows from there).
 */
function boundedEditDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let aStart = 0;
  let bStart = 0;
  let aEnd = a.length;
  let bEnd = b.length;
  while (aStart < aEnd && bStart < bEnd && a.charCodeAt(aStart) === b.charCodeAt(bStart)) {
    aStart++;
    bStart++;
  }
  while (aEnd > aStart && bEnd > bStart && a.charCodeAt(aEnd - 1) === b.charCodeAt(bEnd - 1)) {
    aEnd--;
    bEnd--;
  }
  const aLength = aEnd - aStart;
  const bLength = bEnd - bStart;
  if (aLength === 0 || bLength === 0) return Math.min(aLength + bLength, max + 1);
  const columns = bLength + 1;
  if (rows[0].length < columns) {
    const length = columns * 2;
    rows = [new Int32Array(length), new Int32Array(length), new Int32Array(length)];
  }
  let [beforePrevious, previous, current] = rows;
  for (let column = 0; column < columns; column++) previous[column] = column;
  for (let row = 1; row <= aLength; row++) {
    current[0] = row;
    let rowMinimum = row;
    const character = a.charCodeAt(aStart + row - 1);
    const before = row > 1 ? a.charCodeAt(aStart + row - 2) : -1;
    let left = row;
    let diagonal = previous[0] as number;
    let previousOther = -1;
    for (let column = 1; column < columns; column++) {
      const other = b.charCodeAt(bStart + column - 1);
      const above = previous[column] as number;
      let best = character === other ? diagonal : diagonal + 1;
      if (above + 1 < best) best = above + 1;
      if (left + 1 < best) best = left + 1;
      if (before === other && character === previousOther) {
        const transposed = (beforePrevious[column - 2] as number) + 1;
        if (transposed < best) best = transposed;
      }
      current[column] = best;
      if (best < rowMinimum) rowMinimum = best;
      left = best;
      diagonal = above;
      previousOther = other;
    }
    if (rowMinimum > max) return max + 1;
    const recycled = beforePrevious;
    beforePrevious = previous;
    previous = current;
    current = recycled;
  }
  return Math.min(previous[bLength] as number, max + 1);
}

function addCount(code: number, delta: number): void {
  counts[code] = (counts[code] as number) + delta;
}

function isAscii(text: string): boolean {
  for (let index = 0; index < text.length; index++) if (text.charCodeAt(index) > 127) return false;
  return true;
}

/**
 * Sum over characters of |count in word - count in candidate|, with the word's counts in
 * `counts`; 0 bound (no pruning) when the candidate is not ASCII. Leaves `counts` as found.
 */
function countDifference(wordLength: number, candidate: string): number {
  let difference = wordLength;
  let index = 0;
  for (; index < candidate.length; index++) {
    const code = candidate.charCodeAt(index);
    if (code > 127) break;
    difference += (counts[code] as number) > 0 ? -1 : 1;
    addCount(code, -1);
  }
  const ascii = index === candidate.length;
  for (let restore = 0; restore < index; restore++) addCount(candidate.charCodeAt(restore), 1);
  return ascii ? difference : 0;
}

/** How far a candidate may be from `word`: at most 1 for short words, up to a third of
 *  the length, never more than 4. */
function maxDistanceFor(word: string): number {
  return Math.max(1, Math.min(4, Math.floor(word.length / 3)));
}

export interface ScoredCandidate {
  readonly candidate: string;
  readonly distance: number;
}

/** Character counts of the word being looked up (ASCII), reused by every look-up. */
const counts = new Int32Array(128);

/**
 * Candidate names prepared once for many look-ups (lower-cased, grouped by length), so a
 * look-up compares `word` only with names of a length within its distance. Before the
 * edit distance, a bound from character counts rules out most candidates: an edit changes
 * the counts by at most 2 in total, so half their difference never exceeds the distance.
 * Build one per list of names and keep it while the names stay the same.
 */
export class SuggestionIndex {
  private readonly byLength = new Map<number, { candidate: string; lower: string }[]>();

  constructor(candidates: Iterable<string>) {
    for (const candidate of new Set(candidates)) {
      const lower = candidate.toLowerCase();
      const group = this.byLength.get(lower.length) ?? [];
      group.push({ candidate, lower });
      this.byLength.set(lower.length, group);
    }
  }

  /** Every candidate within the distance allowed for `word` (not `word` itself), unsorted. */
  scored(word: string): ScoredCandidate[] {
    const maxDistance = maxDistanceFor(word);
    const lower = word.toLowerCase();
    const ascii = isAscii(lower);
    if (ascii)
      for (let index = 0; index < lower.length; index++) addCount(lower.charCodeAt(index), 1);
    const scored: ScoredCandidate[] = [];
    try {
      for (
        let length = lower.length - maxDistance;
        length <= lower.length + maxDistance;
        length++
      ) {
        for (const { candidate, lower: candidateLower } of this.byLength.get(length) ?? []) {
          if (candidate === word) continue;
          if (ascii && countDifference(lower.length, candidateLower) > 2 * maxDistance) continue;
          const distance = boundedEditDistance(lower, candidateLower, maxDistance);
          if (distance <= maxDistance) scored.push({ candidate, distance });
        }
      }
    } finally {
      if (ascii)
        for (let index = 0; index < lower.length; index++) addCount(lower.charCodeAt(index), -1);
    }
    return scored;
  }

  /** The closest candidates, best first (ties alphabetically). */
  closest(word: string, limit = 3): string[] {
    return bestOf(this.scored(word), limit);
  }
}

/** The `limit` best of scored candidates (several indexes' results may be concatenated). */
export function bestOf(scored: readonly ScoredCandidate[], limit: number): string[] {
  const unique = new Map<string, number>();
  for (const { candidate, distance } of scored)
    unique.set(candidate, Math.min(distance, unique.get(candidate) ?? distance));
  return [...unique]
    .sort(([x, xDistance], [y, yDistance]) => xDistance - yDistance || x.localeCompare(y))
    .slice(0, limit)
    .map(([candidate]) => candidate);
}

/** The candidates closest to `word` within a distance that scales with its length
 *  (at most 1 for short words, up to a third of the length), best first. */
export function closestMatches(word: string, candidates: Iterable<string>, limit = 3): string[] {
  return new SuggestionIndex(candidates).closest(word, limit);
}

/** ` — did you mean "x"?` or an empty string. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const [best] = closestMatches(word, candidates, 1);
  return best === undefined ? '' : ` — did you mean "${best}"?`;
}
