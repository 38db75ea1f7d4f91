import { APIError } from 'openai';
import type { Fetch } from './attempt-watchdog.js';
import { classifyModelError, oneLine } from './classify-error.js';
import { failureReason, fieldOf, messageOf } from './error-facts.js';
import { endpointProvider, type EndpointProvider } from './endpoint-provider.js';
import { ModelError } from './model-error.js';

export interface ListedModel {
  readonly id: string;
  /** Whether the model supports tool calls; `undefined` when the endpoint does not say. */
  readonly toolCalls: boolean | undefined;
}

export interface ListModelsOptions {
  readonly endpoint: string;
  readonly token: string;
  /** Named in a 401 message; default `AI_API_TOKEN`. */
  readonly tokenVariable?: string;
  /** Whole request limit in milliseconds; default 60 000. */
  readonly timeoutMs?: number;
  readonly fetch?: Fetch;
  readonly signal?: AbortSignal;
  /**
   * The endpoint's provider (catalog URL, headers, how tool support is read); default the
   * one its host names (see endpointProvider; pass it to honour AWF_COPILOT_PROXY).
   */
  readonly provider?: EndpointProvider;
}

function entriesOf(body: unknown): unknown[] | undefined {
  if (Array.isArray(body)) return body as unknown[];
  const data = fieldOf(body, 'data');
  return Array.isArray(data) ? (data as unknown[]) : undefined;
}

/**
 * The endpoint's models that support tool calls, plus those whose support is unknown
 * (flagged `toolCalls: undefined`). GitHub Models is asked through its catalog; any other
 * endpoint through `GET {endpoint}/models`. Tool support is read as seclab reads it per
 * provider (Copilot `capabilities.supports.tool_calls`, GitHub Models `tool-calling`,
 * OpenAI by model family); a custom endpoint's capabilities are read when present.
 *
 * @throws ModelError, classified like a model request (auth, network, cancelled, ...).
 */
export async function listModels(options: ListModelsOptions): Promise<ListedModel[]> {
  const { endpoint } = options;
  const provider = options.provider ?? endpointProvider(endpoint, {});
  const url = provider.catalogUrl(endpoint);
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 60_000);
  const signal =
    options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
  const context = {
    endpoint,
    model: '(model list)',
    tokenVariable: options.tokenVariable ?? 'AI_API_TOKEN',
    ...(options.signal !== undefined && { signal: options.signal }),
  };
  const fetchImplementation = options.fetch ?? globalThis.fetch;
  let body: unknown;
  try {
    const response = await fetchImplementation(url, {
      headers: {
        ...provider.headers,
        authorization: `Bearer ${options.token}`,
        accept: 'application/json',
      },
      signal,
    });
    const text = await response.text();
    body = parseJson(text);
    if (!response.ok) {
      throw APIError.generate(response.status, body as object | undefined, text, response.headers);
    }
  } catch (error) {
    if (timeout.aborted && options.signal?.aborted !== true) {
      throw new ModelError(
        `listing models at ${url} timed out`,
        {
          errorClass: 'timeout',
          retryable: true,
        },
        { cause: error },
      );
    }
    throw listingError(classifyModelError(error, context), url, error);
  }
  const entries = entriesOf(body);
  if (entries === undefined) {
    throw new ModelError(`cannot list models at ${url}: the answer has no model list`, {
      errorClass: 'unknown',
      retryable: false,
    });
  }
  return entries.flatMap((entry): ListedModel[] => {
    const id = fieldOf(entry, 'id');
    if (typeof id !== 'string' || id === '') return [];
    const toolCalls = provider.toolCalls(entry);
    return toolCalls === false ? [] : [{ id, toolCalls }];
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Keeps messages that already say it all (auth, cancelled, local refused, an endpoint that
 * cannot be reached at all: DNS, TLS, a refused port); names the URL otherwise.
 */
function listingError(classified: ModelError, url: string, cause: unknown): ModelError {
  const { classification } = classified;
  const keep = ['auth', 'cancelled'].includes(classification.errorClass);
  const unreachable = classification.errorClass === 'config' && classification.status === undefined;
  if (keep || unreachable || classification.localRefused === true) return classified;
  const { status } = classification;
  const reason =
    status === undefined
      ? failureReason(cause)
      : `${status}: ${oneLine(messageOf(fieldOf(cause, 'error') ?? cause))}`;
  return new ModelError(`cannot list models at ${url} (${reason})`, classification, { cause });
}
