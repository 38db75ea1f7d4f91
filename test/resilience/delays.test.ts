import { describe, expect, it } from 'vitest';
import {
  HINT_EXTRA_MAX_MS,
  MAX_ATTEMPTS_PER_REQUEST,
  MAX_INLINE_WAIT_MS,
  MAX_WAIT_PER_REQUEST_MS,
  RATE_LIMIT_MAX_ATTEMPTS,
  TRANSIENT_MAX_ATTEMPTS,
  hintDelay,
  rateLimitBackoff,
  transientBackoff,
} from '../../src/resilience/delays.js';
import { seededRandom } from '../../src/resilience/random.js';

const seeds = 2000;

/** Runs `check` with a fresh seeded random per seed; the bounds must hold for all. */
function forEverySeed(check: (random: () => number, seed: number) => void): void {
  for (let seed = 1; seed <= seeds; seed += 1) check(seededRandom(seed), seed);
}

/** Collects out-of-bounds values (one `expect` per property keeps 2000 seeds fast). */
function boundsChecker() {
  const violations: string[] = [];
  return {
    violations,
    check(what: string, value: number, low: number, high: number) {
      if (!(value >= low && value <= high))
        violations.push(`${what}: ${value} not in [${low}, ${high}]`);
    },
  };
}

function ladderBounds(step: number, baseMs: number, capMs: number): [number, number] {
  const ceiling = Math.min(capMs, baseMs * 2 ** (step - 1));
  return [ceiling / 2, ceiling];
}

describe('spec numbers', () => {
  it('are the ones resilience.md names', () => {
    expect(MAX_INLINE_WAIT_MS).toBe(300_000);
    expect(TRANSIENT_MAX_ATTEMPTS).toBe(6);
    expect(RATE_LIMIT_MAX_ATTEMPTS).toBe(8);
    expect(MAX_ATTEMPTS_PER_REQUEST).toBe(12);
    expect(MAX_WAIT_PER_REQUEST_MS).toBe(1_200_000);
  });
});

describe('seededRandom', () => {
  it('is deterministic per seed and stays in [0, 1)', () => {
    const first = seededRandom(42);
    const again = seededRandom(42);
    const other = seededRandom(43);
    const values = Array.from({ length: 1000 }, () => first());
    expect(Array.from({ length: 1000 }, () => again())).toEqual(values);
    expect(other()).not.toBe(values[0]);
    expect(values.every((value) => value >= 0 && value < 1)).toBe(true);
  });
});

describe('hintDelay (property, 2000 seeds)', () => {
  it('never undercuts the hint and adds at most min(1 s, 10 %)', () => {
    const fixedHints = [0, 1, 9, 500, 1500, 9999, 10_000, 10_001, 60_000, 299_999, 300_000];
    const bounds = boundsChecker();
    forEverySeed((random, seed) => {
      const hints = [...fixedHints, Math.floor(random() * 400_000), seed * 137];
      for (const hintMs of hints) {
        const maxMs = hintMs + Math.min(HINT_EXTRA_MAX_MS, hintMs * 0.1);
        bounds.check(`seed ${seed} hint ${hintMs}`, hintDelay(hintMs, random), hintMs, maxMs);
      }
    });
    expect(bounds.violations).toEqual([]);
  });

  it('spreads over the allowed extra and treats bad hints as 0', () => {
    const delays: number[] = [];
    forEverySeed((random) => delays.push(hintDelay(1500, random)));
    expect(Math.min(...delays)).toBeLessThan(1510);
    expect(Math.max(...delays)).toBeGreaterThan(1640);
    expect(hintDelay(-5, () => 0.5)).toBe(0);
    expect(hintDelay(Number.NaN, () => 0.5)).toBe(0);
    expect(hintDelay(100_000, () => 0.999_999)).toBe(100_999);
  });
});

describe('backoff ladders (property, 2000 seeds)', () => {
  it('transient: base 1 s, doubling, cap 30 s, equal jitter', () => {
    const bounds = boundsChecker();
    forEverySeed((random, seed) => {
      for (let attempt = 1; attempt <= 12; attempt += 1) {
        const [low, high] = ladderBounds(attempt, 1000, 30_000);
        bounds.check(
          `seed ${seed} attempt ${attempt}`,
          transientBackoff(attempt, random),
          low,
          high,
        );
      }
    });
    expect(bounds.violations).toEqual([]);
  });

  it('rate limit: base 2 s, doubling, cap 60 s, equal jitter', () => {
    const bounds = boundsChecker();
    forEverySeed((random, seed) => {
      for (let count = 1; count <= 12; count += 1) {
        const [low, high] = ladderBounds(count, 2000, 60_000);
        bounds.check(`seed ${seed} 429s ${count}`, rateLimitBackoff(count, random), low, high);
      }
    });
    expect(bounds.violations).toEqual([]);
  });

  it('uses the whole jitter range and the documented steps', () => {
    const first: number[] = [];
    forEverySeed((random) => first.push(transientBackoff(1, random)));
    expect(Math.min(...first)).toBeLessThan(520);
    expect(Math.max(...first)).toBeGreaterThan(980);
    const low = () => 0;
    expect([1, 2, 3, 4, 5, 6, 7].map((attempt) => transientBackoff(attempt, low))).toEqual([
      500, 1000, 2000, 4000, 8000, 15_000, 15_000,
    ]);
    expect([1, 2, 3, 4, 5, 6].map((count) => rateLimitBackoff(count, low))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000,
    ]);
    expect(rateLimitBackoff(50, () => 0.999_999)).toBe(60_000);
    expect(transientBackoff(0, low)).toBe(500);
  });
});
