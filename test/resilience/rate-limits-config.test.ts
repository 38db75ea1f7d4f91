import { describe, expect, it } from 'vitest';
import {
  declaredRateLimitsFor,
  parseRateLimits,
  parseRateLimitsEnvironment,
  validateRateLimits,
} from '../../src/resilience/rate-limits-config.js';

describe('validateRateLimits (model_settings.<model>.rate_limits)', () => {
  it('accepts the four limits', () => {
    expect(
      validateRateLimits({
        requests_per_minute: 20,
        tokens_per_minute: 40_000,
        concurrent_requests: 4,
        requests_per_day: 150,
      }),
    ).toEqual({
      limits: {
        requestsPerMinute: 20,
        tokensPerMinute: 40_000,
        concurrentRequests: 4,
        requestsPerDay: 150,
      },
      issues: [],
    });
    expect(validateRateLimits({ requests_per_minute: 0.5 }).limits).toEqual({
      requestsPerMinute: 0.5,
    });
    expect(validateRateLimits(null)).toEqual({ limits: {}, issues: [] });
  });

  it('collects every issue with the path of the offending key', () => {
    const { issues } = validateRateLimits({
      requests_per_minute: 0,
      concurrent_requests: 2.5,
      tokens_per_minute: '40k',
      rpm: 3,
    });
    expect(issues).toEqual([
      {
        path: ['requests_per_minute'],
        message: 'must be a number above 0, at most 1000000000, got 0',
      },
      { path: ['concurrent_requests'], message: 'must be an integer from 1 to 10000, got 2.5' },
      {
        path: ['tokens_per_minute'],
        message: 'must be a number above 0, at most 1000000000000, got "40k"',
      },
      {
        path: ['rpm'],
        message:
          'unknown rate limit (valid: requests_per_minute, tokens_per_minute, concurrent_requests, requests_per_day)',
        unknownKey: true,
      },
    ]);
    expect(validateRateLimits([1]).issues).toEqual([
      {
        path: [],
        message:
          'must be a mapping of requests_per_minute, tokens_per_minute, concurrent_requests, requests_per_day',
      },
    ]);
  });

  it('parseRateLimits throws one config error naming the field', () => {
    expect(() =>
      parseRateLimits({ requests_per_day: -1 }, 'model_settings.fast.rate_limits'),
    ).toThrow(
      expect.objectContaining({
        code: 'config',
        fieldPath: 'model_settings.fast.rate_limits.requests_per_day',
        message:
          'model_settings.fast.rate_limits.requests_per_day: must be a number above 0, at most 1000000000000, got -1',
      }),
    );
    expect(() => parseRateLimits({ a: 1, b: 2 }, 'rate_limits')).toThrow(
      expect.objectContaining({
        message: 'rate_limits: 2 invalid rate limits',
        details: [
          expect.stringMatching(/^rate_limits\.a: unknown rate limit/),
          expect.stringMatching(/^rate_limits\.b: unknown rate limit/),
        ],
      }),
    );
  });
});

describe('parseRateLimitsEnvironment (TASKFLOW_RATE_LIMITS)', () => {
  it('reads limits for every model and for named models, with short spellings', () => {
    const parsed = parseRateLimitsEnvironment(
      'rpm=60, tpm=90000; gpt-4o:requests_per_minute=20,concurrency=2 ; llama3:8b:rpd=100',
    );
    expect(parsed.everyModel).toEqual({ requestsPerMinute: 60, tokensPerMinute: 90_000 });
    expect(Object.fromEntries(parsed.byModel)).toEqual({
      'gpt-4o': { requestsPerMinute: 20, concurrentRequests: 2 },
      'llama3:8b': { requestsPerDay: 100 },
    });
    expect(parseRateLimitsEnvironment('')).toEqual({ byModel: new Map() });
  });

  it('positions each error at its column and reports them all', () => {
    const at = (value: string) => {
      try {
        parseRateLimitsEnvironment(value);
      } catch (error) {
        return error;
      }
      return undefined;
    };
    expect(at('rpm=60,tpm=lots')).toMatchObject({
      code: 'usage',
      message:
        'TASKFLOW_RATE_LIMITS:1:12: tokens_per_minute must be a number above 0, at most 1000000000000, got "lots"',
    });
    expect((at('gpt-4o:bogus=1') as Error).message).toMatch(
      /^TASKFLOW_RATE_LIMITS:1:8: unknown rate limit "bogus"/,
    );
    expect(at('rpm')).toMatchObject({
      message: 'TASKFLOW_RATE_LIMITS:1:1: expected key=value, got "rpm"',
    });
    expect(at(' :rpm=1')).toMatchObject({
      message: 'TASKFLOW_RATE_LIMITS:1:2: empty model name before ":"',
    });
    expect(at('rpm=0;concurrency=1.5')).toMatchObject({
      message: 'TASKFLOW_RATE_LIMITS: 2 errors',
      details: [
        expect.stringMatching(/^TASKFLOW_RATE_LIMITS:1:5: requests_per_minute must be/),
        expect.stringMatching(/^TASKFLOW_RATE_LIMITS:1:19: concurrent_requests must be an integer/),
      ],
    });
  });
});

describe('declaredRateLimitsFor', () => {
  it('layers the config, the variable for every model, then for this model', () => {
    const environment = parseRateLimitsEnvironment(
      'rpm=60; gpt-4o:tpm=1000; fast:concurrency=2,rpm=10',
    );
    const model = { logicalName: 'fast', providerModel: 'gpt-4o' };
    expect(
      declaredRateLimitsFor(model, { requestsPerMinute: 5, requestsPerDay: 50 }, environment),
    ).toEqual({
      requestsPerMinute: 10,
      requestsPerDay: 50,
      tokensPerMinute: 1000,
      concurrentRequests: 2,
    });
    expect(
      declaredRateLimitsFor({ logicalName: 'x', providerModel: 'y' }, undefined, undefined),
    ).toBeUndefined();
  });
});
