/** Edit distance (insertions, deletions, substitutions, adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  return boundedEditDistance(a, b, Math.max(a.length, b.length));
}

/** Rows reused by every comparison (grown as needed): a look-up allocates nothing. */
let rows = [new Int32Array(64), new Int32Array(64), new Int32Array(64)] as const;

/**
 * Edit distance when it is at most `max`, else `max + 1`. Three rolling rows; stops as
 * soon as every entry of a row exceeds `max` (the distance only grows from there).
 */
function boundedEditDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const columns = b.length + 1;
  if (rows[0].length < columns) {
    const length = columns * 2;
    rows = [new Int32Array(length), new Int32Array(length), new Int32Array(length)];
  }
  let [beforePrevious, previous, current] = rows;
  for (let column = 0; column < columns; column++) previous[column] = column;
  for (let row = 1; row <= a.length; row++) {
    current[0] = row;
    let rowMinimum = row;
    const character = a.charCodeAt(row - 1);
    for (let column = 1; column < columns; column++) {
      const other = b.charCodeAt(column - 1);
      let best = Math.min(
        (previous[column] as number) + 1,
        (current[column - 1] as number) + 1,
        (previous[column - 1] as number) + (character === other ? 0 : 1),
      );
      if (
        row > 1 &&
        column > 1 &&
        character === b.charCodeAt(column - 2) &&
        a.charCodeAt(row - 2) === other
      ) {
        best = Math.min(best, (beforePrevious[column - 2] as number) + 1);
      }
      current[column] = best;
      if (best < rowMinimum) rowMinimum = best;
    }
    if (rowMinimum > max) return max + 1;
    [beforePrevious, previous, current] = [previous, current, beforePrevious];
  }
  return Math.min(previous[b.length] as number, max + 1);
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

/**
 * Candidate names prepared once for many look-ups (lower-cased, grouped by length), so a
 * look-up compares `word` only with names of a length within its distance, each comparison
 * stopping early. Build one per list of names and keep it while the names stay the same.
 */
export class SuggestionIndex {
  private readonly byLength = new Map<number, { candidate: string; lower: string }[]>();

  constructor(candidates: Iterable<string>) {
    for (const candidate of new Set(candidates)) {
      const group = this.byLength.get(candidate.length) ?? [];
      group.push({ candidate, lower: candidate.toLowerCase() });
      this.byLength.set(candidate.length, group);
    }
  }

  /** Every candidate within the distance allowed for `word` (not `word` itself), unsorted. */
  scored(word: string): ScoredCandidate[] {
    const maxDistance = maxDistanceFor(word);
    const lower = word.toLowerCase();
    const scored: ScoredCandidate[] = [];
    for (let length = word.length - maxDistance; length <= word.length + maxDistance; length++) {
      for (const { candidate, lower: candidateLower } of this.byLength.get(length) ?? []) {
        if (candidate === word) continue;
        const distance = boundedEditDistance(lower, candidateLower, maxDistance);
        if (distance <= maxDistance) scored.push({ candidate, distance });
      }
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
export function didYouMean(word: string, candidates: Iterable<string> | SuggestionIndex): string {
  const index =
    candidates instanceof SuggestionIndex ? candidates : new SuggestionIndex(candidates);
  const [best] = index.closest(word, 1);
  return best === undefined ? '' : ` — did you mean "${best}"?`;
}
