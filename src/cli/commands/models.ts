import { isTaskflowError, TaskflowError } from '../../errors.js';
import type { Fetch } from '../../model/attempt-watchdog.js';
import { listModels, type ListedModel } from '../../model/list-models.js';
import { endpointProvider } from '../../model/endpoint-provider.js';
import { isModelError } from '../../model/model-error.js';
import { resolveModelTarget } from '../../model/resolve-model.js';
import { EXIT, exitCodeFor } from '../exit-codes.js';
import { reportError } from '../report-error.js';
import type { RuntimeContext } from '../runtime-context.js';

export interface ModelsOptions {
  /** Print JSON `[{ id, toolCalls: true | false | null }]` (null: unknown) instead of lines. */
  readonly json?: boolean;
  /** Include models that say they cannot call tools. */
  readonly all?: boolean;
}

/** A listed model; `toolCalls: false` only appears with `--all`. */
export interface ModelListing {
  readonly id: string;
  readonly toolCalls: boolean | undefined;
}

/** Stands in for a model name when resolving the endpoint; stripped from messages. */
const LISTING_NAME = 'list';

/**
 * `taskflow models`: the endpoint's models that support tool calls (and those whose support
 * is unknown, marked), from AI_API_ENDPOINT with the token of AI_API_TOKEN / COPILOT_TOKEN.
 * Errors are one line with the exit code of their class; a refused loopback endpoint is a
 * configuration error (78).
 */
export async function modelsCommand(
  context: RuntimeContext,
  options: ModelsOptions,
): Promise<number> {
  try {
    const models = await fetchModelListing(context, options.all === true);
    if (options.json) {
      context.stdout.write(
        `${JSON.stringify(
          models.map((model) => ({ id: model.id, toolCalls: model.toolCalls ?? null })),
          null,
          2,
        )}\n`,
      );
      return EXIT.ok;
    }
    for (const model of models) context.stdout.write(`${describeModel(model)}\n`);
    if (models.length === 0) {
      context.stderr.write('taskflow: the endpoint lists no models that support tool calls\n');
    }
    return EXIT.ok;
  } catch (error) {
    reportError(error, context.stderr, context.debug);
    if (isModelError(error) && error.classification.localRefused === true) return EXIT.config;
    return isTaskflowError(error) ? exitCodeFor(error.code) : EXIT.failed;
  }
}

function describeModel(model: ModelListing): string {
  if (model.toolCalls === undefined) return `${model.id} (tool support unknown)`;
  if (!model.toolCalls) return `${model.id} (no tool support)`;
  return model.id;
}

/**
 * Endpoint and token by the same rules as a task's model (resolveModelTarget): a loopback
 * endpoint may go without a token.
 */
function endpointAndToken(context: RuntimeContext): {
  endpoint: string;
  token: string;
  tokenVariable: string;
} {
  try {
    const { endpoint, token, tokenVariable } = resolveModelTarget({
      name: LISTING_NAME,
      environment: context.environment,
    });
    return { endpoint, token, tokenVariable };
  } catch (error) {
    if (!isTaskflowError(error)) throw error;
    const message = error.message.replace(`model ${LISTING_NAME}: `, '');
    throw new TaskflowError(error.code, message, { cause: error });
  }
}

/**
 * listModels drops models that report no tool support; with `includeAll` the raw answer is
 * kept aside so those can be added back, flagged `toolCalls: false`.
 */
async function fetchModelListing(
  context: RuntimeContext,
  includeAll: boolean,
): Promise<ModelListing[]> {
  const target = endpointAndToken(context);
  let rawBody = '';
  const keepBody: Fetch = async (input, init) => {
    const response = await fetch(input, init);
    rawBody = await response.text();
    return new Response(rawBody, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
  const listed: readonly ListedModel[] = await listModels({
    endpoint: target.endpoint,
    token: target.token,
    tokenVariable: target.tokenVariable,
    provider: endpointProvider(target.endpoint, context.environment),
    ...(includeAll && { fetch: keepBody }),
  });
  if (!includeAll) return [...listed];
  // In the endpoint's order; an id listModels dropped is one without tool support.
  const byId = new Map<string, ModelListing>(listed.map((model) => [model.id, model]));
  const ordered = idsIn(rawBody).map((id) => byId.get(id) ?? { id, toolCalls: false });
  const seen = new Set(ordered.map((model) => model.id));
  return [...ordered, ...listed.filter((model) => !seen.has(model.id))];
}

/** Model ids of a listing answer (a bare list, or `{ data: [...] }`). */
function idsIn(body: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [];
  }
  const entries: unknown =
    parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as { data?: unknown }).data
      : parsed;
  if (!Array.isArray(entries)) return [];
  return entries.flatMap((entry: unknown) => {
    const id: unknown =
      entry !== null && typeof entry === 'object' ? (entry as { id?: unknown }).id : undefined;
    return typeof id === 'string' && id !== '' ? [id] : [];
  });
}
