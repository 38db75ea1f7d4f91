import { describe, expect, it } from 'vitest';
import {
  closestMatches,
  editDistance,
  SuggestionIndex,
} from '../../src/definitions/did-you-mean.js';

/** The textbook table: insertions, deletions, substitutions, adjacent transpositions. */
function referenceDistance(a: string, b: string): number {
  const table = Array.from({ length: a.length + 1 }, (_, row) =>
    Array.from({ length: b.length + 1 }, (_, column) =>
      row === 0 ? column : column === 0 ? row : 0,
    ),
  );
  const at = (row: number, column: number) => table[row]?.[column] ?? 0;
  for (let row = 1; row <= a.length; row++) {
    for (let column = 1; column <= b.length; column++) {
      let best = Math.min(
        at(row - 1, column) + 1,
        at(row, column - 1) + 1,
        at(row - 1, column - 1) + (a[row - 1] === b[column - 1] ? 0 : 1),
      );
      if (row > 1 && column > 1 && a[row - 1] === b[column - 2] && a[row - 2] === b[column - 1])
        best = Math.min(best, at(row - 2, column - 2) + 1);
      (table[row] as number[])[column] = best;
    }
  }
  return at(a.length, b.length);
}

/** Deterministic pseudo-random strings over a small alphabet (many near matches). */
function randomWords(seed: number, count: number, alphabet: string, maxLength: number): string[] {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  return Array.from({ length: count }, () =>
    Array.from(
      { length: Math.floor(next() * (maxLength + 1)) },
      () => alphabet[Math.floor(next() * alphabet.length)],
    ).join(''),
  );
}

describe('editDistance', () => {
  it('matches the textbook table on 20,000 random pairs', () => {
    const words = randomWords(7, 40_000, 'abc_.', 9);
    const wrong: string[] = [];
    for (let index = 0; index < words.length; index += 2) {
      const [a, b] = [words[index] ?? '', words[index + 1] ?? ''];
      if (editDistance(a, b) !== referenceDistance(a, b)) wrong.push(`${a} ${b}`);
    }
    expect(wrong).toEqual([]);
  });

  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('personalities.helper', 'personalities.hleper')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });
});

describe('SuggestionIndex', () => {
  it('finds what comparing every candidate finds, best first, ties alphabetically', () => {
    const candidates = [
      ...randomWords(11, 400, 'abcD_.é', 10),
      'flows.cwd_only',
      'Flows.Cwd_Only',
      'flows.cwd_onlx',
    ];
    const index = new SuggestionIndex(candidates);
    for (const word of [...randomWords(5, 300, 'abcd_.é', 10), 'flows.cwd_onyl']) {
      const maxDistance = Math.max(1, Math.min(4, Math.floor(word.length / 3)));
      const expected = [...new Set(candidates)]
        .filter((candidate) => candidate !== word)
        .map((candidate) => ({
          candidate,
          distance: referenceDistance(word.toLowerCase(), candidate.toLowerCase()),
        }))
        .filter((entry) => entry.distance <= maxDistance)
        .sort((x, y) => x.distance - y.distance || x.candidate.localeCompare(y.candidate))
        .slice(0, 3)
        .map((entry) => entry.candidate);
      expect(index.closest(word), word).toEqual(expected);
      expect(closestMatches(word, candidates), word).toEqual(expected);
    }
  });
});
