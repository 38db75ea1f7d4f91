import type { PacerAnswer } from '../resilience/pacer-headers.js';
import { readErrorFacts } from './error-facts.js';
import { isModelError } from './model-error.js';

/**
 * The HTTP answer behind a failed model attempt, as the pacer reads it: status, headers,
 * and the API's own message and code (a 429's body says which limit it hit). Undefined
 * when no answer arrived (network failures, cancellation) or the error is not ours.
 */
export function answerOfError(error: unknown): PacerAnswer | undefined {
  if (!isModelError(error)) return undefined;
  const { status } = error.classification;
  if (status === undefined) return undefined;
  const facts = readErrorFacts(error.cause);
  const code = [facts.code, facts.type].filter((part) => part !== undefined).join(' ');
  return {
    status,
    headers: facts.headers,
    message: facts.apiMessage,
    ...(code !== '' && { code }),
  };
}
