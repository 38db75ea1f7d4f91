import { describe, expect, it } from 'vitest';
import type { ErrorClassification } from '../../src/model/model-error.js';
import { createFakeClock } from '../../src/resilience/clock.js';
import { seededRandom, type Random } from '../../src/resilience/random.js';
import type { ModelRetryInfo } from '../../src/resilience/request-policy.js';
import { runModelRequest } from '../../src/resilience/request-runner.js';
import { isResumableStop } from '../../src/resilience/resumable-stop.js';
import { capture, modelError } from './resilience-kit.js';

/**
 * Property check of one logical request over many seeds: random sequences of 5xx, 429 (with
 * and without hints, some beyond the 300 s inline limit), network errors and a success at a
 * random point. Whatever the sequence, the waits obey resilience.md "Waits" and the caps
 * (12 attempts, 6 transient, 8 rate-limited, 20 minutes of waiting); an exhausted
 * rate-limit ladder stops resumably.
 */

const seeds = 400;

/** One random failure (or success) per attempt. */
function randomStep(random: Random): { error?: Error; hintMs?: number } {
  const pick = random();
  const hinted = random() < 0.5;
  const hintMs = Math.floor(random() < 0.1 ? 300_000 + random() * 3_600_000 : random() * 200_000);
  const hint: Partial<ErrorClassification> = hinted
    ? { hintMs, hintSource: random() < 0.5 ? 'retry-after' : 'retry-after-ms' }
    : {};
  if (pick < 0.1) return {};
  if (pick < 0.45)
    return {
      error: modelError('rate-limited', { status: 429, ...hint }),
      ...(hinted && { hintMs }),
    };
  if (pick < 0.8)
    return { error: modelError('server', { status: 503, ...hint }), ...(hinted && { hintMs }) };
  return { error: modelError('network') };
}

function ladderBounds(step: number, baseMs: number, capMs: number): [number, number] {
  const ceiling = Math.min(capMs, baseMs * 2 ** (step - 1));
  return [ceiling / 2, ceiling];
}

async function checkSeed(seed: number): Promise<string[]> {
  const problems: string[] = [];
  const script = seededRandom(seed);
  const clock = createFakeClock(0);
  const steps = Array.from({ length: 20 }, () => randomStep(script));
  const startedAt: number[] = [];
  const retries: ModelRetryInfo[] = [];
  const send = (): Promise<string> => {
    const step = steps[startedAt.length] ?? {};
    startedAt.push(clock.now());
    return step.error ? Promise.reject(step.error) : Promise.resolve('ok');
  };
  const { outcome, done } = capture(
    runModelRequest(send, {
      key: `seed-${seed}`,
      clock,
      random: seededRandom(seed * 31 + 1),
      onRetry: (info) => retries.push(info),
    }),
  );
  await clock.runUntilIdle();
  await done;
  const fail = (text: string) => problems.push(`seed ${seed}: ${text}`);
  if (startedAt.length > 12) fail(`${startedAt.length} attempts`);
  const ladderFailures = { transient: 0, 'rate-limit': 0 };
  let waitedMs = 0;
  retries.forEach((retry, index) => {
    const step = steps[index];
    const ladder = retry.errorClass === 'rate-limited' ? 'rate-limit' : 'transient';
    ladderFailures[ladder] += 1;
    const gap = (startedAt[index + 1] ?? NaN) - (startedAt[index] ?? NaN);
    if (gap !== retry.delayMs)
      fail(`attempt ${index + 2} came ${gap} ms after, announced ${retry.delayMs}`);
    waitedMs += retry.delayMs;
    if (step?.hintMs !== undefined) {
      const maxMs = step.hintMs + Math.min(1000, step.hintMs * 0.1);
      if (retry.delayMs < step.hintMs || retry.delayMs > maxMs)
        fail(`hint ${step.hintMs} -> wait ${retry.delayMs}`);
      if (step.hintMs > 300_000) fail(`slept a ${step.hintMs} ms hint in-process`);
      return;
    }
    const [low, high] =
      ladder === 'transient'
        ? ladderBounds(ladderFailures.transient, 1000, 30_000)
        : ladderBounds(ladderFailures['rate-limit'], 2000, 60_000);
    if (retry.delayMs < low || retry.delayMs > high)
      fail(`${ladder} step ${ladderFailures[ladder]}: ${retry.delayMs} not in [${low}, ${high}]`);
  });
  if (waitedMs > 20 * 60_000) fail(`waited ${waitedMs} ms`);
  if (ladderFailures.transient > 5 || ladderFailures['rate-limit'] > 7)
    fail(`retried past a ladder: ${JSON.stringify(ladderFailures)}`);
  const last = steps[startedAt.length - 1];
  const lastClass =
    last?.error && (last.error as { classification?: ErrorClassification }).classification;
  const lastLadder = lastClass?.errorClass === 'rate-limited' ? 'rate-limit' : 'transient';
  // A long hint stops resumably unless the attempt cap or the ladder had run out anyway.
  const couldRetry =
    startedAt.length < 12 && ladderFailures[lastLadder] + 1 < (lastLadder === 'transient' ? 6 : 8);
  // The eighth 429 (attempts left) is a resumable stop, after the wait the ladder would take.
  const rateLimitExhausted =
    lastClass?.errorClass === 'rate-limited' &&
    startedAt.length < 12 &&
    ladderFailures['rate-limit'] + 1 >= 8;
  if (outcome.value === 'ok') {
    if (last?.error !== undefined) fail('succeeded on a failing step');
  } else if (rateLimitExhausted) {
    const stop = outcome.error;
    const [low, high] =
      last?.hintMs === undefined
        ? ladderBounds(8, 2000, 60_000)
        : [last.hintMs, last.hintMs + Math.min(1000, last.hintMs * 0.1)];
    const resumeIn = isResumableStop(stop) ? (stop.resumeNotBefore ?? NaN) - clock.now() : NaN;
    if (
      !isResumableStop(stop) ||
      stop.reason !== 'rate-limit' ||
      !(resumeIn >= low && resumeIn <= high)
    )
      fail(`an exhausted rate-limit ladder did not stop resumably: ${String(stop)} in ${resumeIn}`);
  } else if (last?.hintMs !== undefined && last.hintMs > 300_000 && couldRetry) {
    const stop = outcome.error;
    if (!isResumableStop(stop) || stop.resumeNotBefore !== clock.now() + last.hintMs)
      fail(`a ${last.hintMs} ms hint did not stop with resumeNotBefore`);
  } else if (isResumableStop(outcome.error) && outcome.error.reason === 'wait-budget') {
    const nextMaxMs =
      last?.hintMs === undefined ? 60_000 : last.hintMs + Math.min(1000, last.hintMs * 0.1);
    if (waitedMs + nextMaxMs <= 20 * 60_000) fail(`stopped for the wait budget at ${waitedMs} ms`);
  } else if (isResumableStop(outcome.error)) {
    fail(`stopped resumably without a long hint: ${String(outcome.error)}`);
  } else if (outcome.error !== last?.error) {
    fail(`did not rethrow the last failure: ${String(outcome.error)}`);
  }
  return problems;
}

describe('runModelRequest (property, 400 seeds)', () => {
  it('waits honour hints and ladders; attempts <= 12; no in-process wait past 300 s', async () => {
    const problems: string[] = [];
    for (let seed = 1; seed <= seeds; seed += 1) problems.push(...(await checkSeed(seed)));
    expect(problems).toEqual([]);
  });
});
