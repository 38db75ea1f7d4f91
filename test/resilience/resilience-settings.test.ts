import { describe, expect, it } from 'vitest';
import { TaskflowError } from '../../src/errors.js';
import {
  DEFAULT_RESILIENCE_SETTINGS,
  parseResilienceOverrides,
  resolveResilienceSettings,
} from '../../src/resilience/resilience-settings.js';

const where = 'model_settings.fast.resilience';

function issuesOf(raw: unknown): readonly string[] {
  try {
    parseResilienceOverrides(raw, where);
  } catch (error) {
    if (error instanceof TaskflowError && error.code === 'config') return error.details;
    throw error;
  }
  throw new Error('expected a config error');
}

describe('resilience settings', () => {
  it('defaults to the spec numbers', () => {
    expect(resolveResilienceSettings()).toEqual({
      maxAttempts: 12,
      transientMaxAttempts: 6,
      rateLimitMaxAttempts: 8,
      maxInlineWaitMs: 300_000,
      maxWaitPerRequestMs: 1_200_000,
      headersTimeoutMs: 120_000,
      idleTimeoutMs: 120_000,
    });
  });

  it('accepts YAML and camelCase spellings and applies them over the defaults', () => {
    const overrides = parseResilienceOverrides(
      { max_attempts: 4, rateLimitMaxAttempts: 3, idle_timeout_ms: 30_000 },
      where,
    );
    expect(overrides).toEqual({ maxAttempts: 4, rateLimitMaxAttempts: 3, idleTimeoutMs: 30_000 });
    expect(resolveResilienceSettings(overrides)).toEqual({
      ...DEFAULT_RESILIENCE_SETTINGS,
      maxAttempts: 4,
      rateLimitMaxAttempts: 3,
      idleTimeoutMs: 30_000,
    });
    expect(parseResilienceOverrides(null, where)).toEqual({});
    expect(parseResilienceOverrides(undefined, where)).toEqual({});
  });

  it('collects every issue, each starting with where it is', () => {
    expect(
      issuesOf({
        max_attempts: 0,
        maxAttempts: 3,
        transient_max_attempts: 2.5,
        retries: 3,
        headers_timeout_ms: '2m',
      }),
    ).toEqual([
      `${where}.retries: unknown setting (valid: max_attempts, transient_max_attempts, rate_limit_max_attempts, max_inline_wait_ms, max_wait_per_request_ms, headers_timeout_ms, idle_timeout_ms)`,
      `${where}: max_attempts and maxAttempts are the same setting; give one`,
      `${where}.transient_max_attempts: must be an integer from 1 to 100, got 2.5`,
      `${where}.headers_timeout_ms: must be an integer from 1000 to 3600000, got "2m"`,
    ]);
  });

  it('reports a single issue as the message, and a non-mapping plainly', () => {
    expect(() => parseResilienceOverrides({ max_inline_wait_ms: -1 }, where)).toThrow(
      `${where}.max_inline_wait_ms: must be an integer from 0 to 86400000, got -1`,
    );
    expect(() => parseResilienceOverrides([1], where)).toThrow(
      expect.objectContaining({ code: 'config', fieldPath: where }),
    );
  });
});
