import type { Environment } from '../model/resolve-model.js';
import {
  parseRateLimitsEnvironment,
  type RateLimitsFromEnvironment,
} from '../resilience/rate-limits-config.js';

/**
 * `TASKFLOW_RATE_LIMITS` (declared rate limits for a one-off run), parsed; undefined when
 * unset or blank.
 *
 * @throws TaskflowError 'usage' (exit 2) positioned as `TASKFLOW_RATE_LIMITS:1:column`
 */
export function rateLimitsFromEnvironment(
  environment: Environment,
): RateLimitsFromEnvironment | undefined {
  const value = environment.TASKFLOW_RATE_LIMITS;
  if (value === undefined || value.trim() === '') return undefined;
  return parseRateLimitsEnvironment(value);
}
