/** A source of uniform random numbers in [0, 1); injected wherever jitter is drawn. */
export type Random = () => number;

/** The process's `Math.random`, for production use. */
export const systemRandom: Random = () => Math.random();

/**
 * A small deterministic PRNG (mulberry32) for tests and property checks: the same seed
 * yields the same sequence. Values are in [0, 1).
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}
