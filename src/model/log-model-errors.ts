import { errorMessage } from '../errors.js';
import { causeChain, fieldOf } from './error-fields.js';
import { isModelError } from './model-error.js';
import { readHeader } from './retry-hints.js';
import type { CompleteOptions, ModelClient, ModelRequest, ModelResponse } from './types.js';

/** The id the endpoint gave the failed request (the SDK's `requestID`, or `x-request-id`). */
function requestIdOf(error: unknown): string | undefined {
  for (const item of causeChain(error)) {
    const id = fieldOf(item, 'requestID');
    if (typeof id === 'string' && id !== '') return id;
    const header = readHeader(fieldOf(item, 'headers'), 'x-request-id');
    if (header !== undefined && header !== '') return header;
  }
  return undefined;
}

/**
 * One line about a failed attempt, for the debug log:
 * `model error: model gpt-4.1 at https://…: status 429, class rate-limited (retryable),
 * request id req_1: <message>`. Holds what the classification read from the answer, never a
 * header value or the request; the logger redacts the rest.
 */
export function describeModelFailure(
  error: unknown,
  where: { readonly model: string; readonly endpoint: string },
): string {
  const classification = isModelError(error) ? error.classification : undefined;
  const facts = [
    classification?.status === undefined ? 'no status' : `status ${classification.status}`,
    classification === undefined
      ? 'not classified'
      : `class ${classification.errorClass} (${classification.retryable ? 'retryable' : 'not retryable'})`,
  ];
  const requestId = requestIdOf(error);
  if (requestId !== undefined) facts.push(`request id ${requestId}`);
  const message = errorMessage(error);
  const reason = isModelError(error) ? error.reason : undefined;
  const said = reason !== undefined && !message.includes(reason) ? ` (${reason})` : '';
  const text = `${message}${said}`.replace(/\s*\n\s*/g, ' ');
  return `model error: model ${where.model} at ${where.endpoint}: ${facts.join(', ')}: ${text}`;
}

/**
 * `client`, with every failed attempt told to `log` (see describeModelFailure) before the
 * error goes on unchanged. Cancellations are ours, not the model's, and are not logged.
 */
export function logModelErrors(client: ModelClient, log: (line: string) => void): ModelClient {
  return {
    get apiType() {
      return client.apiType;
    },
    get endpoint() {
      return client.endpoint;
    },
    async complete(request: ModelRequest, options?: CompleteOptions): Promise<ModelResponse> {
      try {
        return await client.complete(request, options);
      } catch (error) {
        if (!isModelError(error) || error.classification.errorClass !== 'cancelled')
          log(describeModelFailure(error, { model: request.model, endpoint: client.endpoint }));
        throw error;
      }
    },
  };
}
