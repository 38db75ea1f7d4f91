/**
 * The token buckets of a pacing budget (see `pacer-budget.ts`): plain data, refilled
 * lazily, and brought in line with what answers' `x-ratelimit-*` headers report.
 */
import type { BucketReading } from './pacer-headers.js';

export type BucketId =
  'requests' | 'tokens' | 'stated' | 'declared-requests' | 'declared-tokens' | 'declared-day';

export interface Bucket {
  readonly id: BucketId;
  readonly unit: 'requests' | 'tokens';
  capacity: number;
  level: number;
  /** Refill per ms; 0 when unknown (then the bucket only holds requests back through a window). */
  ratePerMs: number;
  updatedAt: number;
  /** A fixed window: the level returns to `capacity` at this time. */
  windowEndsAt?: number;
  /** Largest lower bound of the refill rate read from headers (per ms). */
  rateFloorPerMs: number;
  /** Sequence number of the freshest answer applied to `level`. */
  observedSeq: number;
}

export function newBucket(
  id: BucketId,
  unit: Bucket['unit'],
  capacity: number,
  level: number,
  ratePerMs: number,
  nowMs: number,
): Bucket {
  return {
    id,
    unit,
    capacity,
    level,
    ratePerMs,
    updatedAt: nowMs,
    rateFloorPerMs: 0,
    observedSeq: 0,
  };
}

/** Brings `bucket` to `nowMs`: refilled at its rate, or full once its window ended. */
export function refillBucket(bucket: Bucket, nowMs: number): void {
  if (bucket.windowEndsAt !== undefined) {
    if (nowMs >= bucket.windowEndsAt) {
      bucket.level = bucket.capacity;
      delete bucket.windowEndsAt;
    }
  } else if (bucket.ratePerMs > 0 && nowMs > bucket.updatedAt) {
    const level = bucket.level + bucket.ratePerMs * (nowMs - bucket.updatedAt);
    bucket.level = Math.min(bucket.capacity, level);
  }
  bucket.updatedAt = Math.max(bucket.updatedAt, nowMs);
}

/**
 * When `bucket` can pay `need` (already refilled to `nowMs`): undefined if it can now or
 * cannot tell (refill unknown, no window: the server will say, with a 429 and its wait).
 */
export function bucketReadyAt(bucket: Bucket, need: number, nowMs: number): number | undefined {
  // Float slack: a level refilled to exactly `need` may come out a hair below it.
  if (bucket.level + 1e-9 >= need) return undefined;
  if (bucket.windowEndsAt !== undefined) return bucket.windowEndsAt;
  if (bucket.ratePerMs > 0) return nowMs + Math.ceil((need - bucket.level) / bucket.ratePerMs);
  return undefined;
}

/** The answer a reading belongs to: its ticket, what was spent after it, when it was sent. */
export interface AnsweredRequest {
  readonly seq: number;
  /** Units (requests or tokens) charged to tickets taken after this one. */
  readonly spentAfter: number;
  readonly sentAt: number;
}

/**
 * Brings the learned bucket `id` in line with an answer, creating it on first sight. The
 * level is the server's `remaining` when it admitted the request, plus the refill since it
 * was sent, minus what was spent after it; an answer older than one already applied only
 * refines the rate. The rate's lower bound per answer is (used - 1) / (reset + its
 * rounding): `remaining` may be rounded down by up to one unit, so this never
 * overestimates, and the largest bound seen converges on the true rate from below.
 */
export function reconcileBucket(
  buckets: Bucket[],
  id: 'requests' | 'tokens',
  reading: BucketReading,
  answered: AnsweredRequest,
  nowMs: number,
): void {
  let bucket = buckets.find((candidate) => candidate.id === id);
  const capacity = reading.limit ?? Math.max(bucket?.capacity ?? 0, reading.remaining);
  if (bucket === undefined) {
    bucket = newBucket(id, id, capacity, capacity, 0, nowMs);
    buckets.push(bucket);
  } else if (bucket.capacity !== capacity) {
    bucket.capacity = capacity;
    bucket.rateFloorPerMs = 0;
  }
  const used = capacity - reading.remaining;
  if (reading.resetMs !== undefined) {
    const spanMs = reading.resetMs + (reading.resetPrecisionMs ?? 0);
    if (spanMs > 0 && used > 1) {
      bucket.rateFloorPerMs = Math.max(bucket.rateFloorPerMs, (used - 1) / spanMs);
    }
    if (bucket.rateFloorPerMs > 0) bucket.ratePerMs = bucket.rateFloorPerMs;
    // One unit used says little: half the upper bound until a better answer comes.
    else if (bucket.ratePerMs === 0 && spanMs > 0 && used > 0) {
      bucket.ratePerMs = used / spanMs / 2;
    }
  }
  if (reading.windowEndsAt !== undefined) {
    bucket.windowEndsAt = reading.windowEndsAt;
  } else if (bucket.ratePerMs === 0 && reading.resetMs !== undefined && reading.remaining < 1) {
    // Spent, refill unknown: nothing until the reset.
    bucket.windowEndsAt = nowMs + reading.resetMs + (reading.resetPrecisionMs ?? 0);
  }
  if (answered.seq <= bucket.observedSeq) return;
  bucket.observedSeq = answered.seq;
  const refilled =
    bucket.windowEndsAt === undefined ? bucket.ratePerMs * Math.max(0, nowMs - answered.sentAt) : 0;
  bucket.level = Math.min(capacity, reading.remaining + refilled - answered.spentAfter);
  bucket.updatedAt = nowMs;
}
