import type { ModelConfigDefinition } from '../definitions/types.js';
import { ENGINE_SETTING_KEYS } from '../definitions/types.js';
import { TaskflowError } from '../errors.js';
import { parseRateLimits, type DeclaredRateLimits } from '../resilience/rate-limits-config.js';
import { endpointProvider } from './endpoint-provider.js';
import { isLoopbackUrl } from './loopback-host.js';
import { requestDefaultsFor, type RequestDefaults } from './request-defaults.js';

export const DEFAULT_ENDPOINT = 'https://models.github.ai/inference';

/** Environment variables, passed in (library code never reads `process.env`). */
export type Environment = Readonly<Record<string, string | undefined>>;

/** Everything needed to talk to one model. */
export interface ModelTarget {
  /** Provider model id sent to the API. */
  readonly modelId: string;
  readonly apiType: 'chat_completions' | 'responses';
  /** Base URL. */
  readonly endpoint: string;
  /** Variable the token came from (or would have: named in messages). */
  readonly tokenVariable: string;
  readonly token: string;
  /** Settings sent to the API (engine keys removed). */
  readonly apiSettings: Readonly<Record<string, unknown>>;
  /** Sent under `apiSettings` (seclab's temperature and tool defaults). */
  readonly requestDefaults: RequestDefaults;
  /** Extra headers of the endpoint's provider (`Copilot-Integration-Id`); never secrets. */
  readonly headers: Readonly<Record<string, string>>;
  /** The `resilience` engine key, as written, for the request loop. */
  readonly resilience?: Readonly<Record<string, unknown>>;
  /** The `rate_limits` engine key, validated: limits the pacer keeps to without headers. */
  readonly rateLimits?: DeclaredRateLimits;
  /** The name as the task wrote it (a model config key or a literal id). */
  readonly logicalName: string;
}

/** Placeholder token for loopback servers that need none (the SDK insists on one). */
export const UNUSED_TOKEN = 'unused';

function present(environment: Environment, name: string): string | undefined {
  const value = environment[name];
  return value === undefined || value === '' ? undefined : value;
}

function stringSetting(
  settings: Record<string, unknown>,
  key: string,
  where: string,
): string | undefined {
  const value = settings[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '') {
    throw new TaskflowError('config', `${where}: ${key} must be a non-empty string`);
  }
  return value;
}

/**
 * Resolves a task's model name to a target: model config lookup (else a literal id),
 * settings merged (config settings for the name, then the task's; task wins, shallow),
 * engine keys split off, api type, endpoint and token from settings or the environment.
 *
 * The request defaults (MODEL_TEMP, MODEL_PARALLEL_TOOL_CALLS) and the provider's headers
 * (COPILOT_INTEGRATION_ID, AWF_COPILOT_PROXY) come from `environment`.
 *
 * @throws TaskflowError 'config' for `api_type: messages`, an unknown api type, an endpoint
 *   that is not a URL, invalid `rate_limits`, a MODEL_TEMP that is not a number, or a
 *   missing token (except for loopback endpoints).
 */
export function resolveModelTarget(input: {
  name: string;
  modelConfig?: ModelConfigDefinition;
  taskSettings?: Readonly<Record<string, unknown>>;
  environment: Environment;
}): ModelTarget {
  const { name, modelConfig, environment } = input;
  const where = `model ${name}`;
  const merged: Record<string, unknown> = {
    ...modelConfig?.modelSettings[name],
    ...input.taskSettings,
  };
  const apiType =
    stringSetting(merged, 'api_type', where) ?? modelConfig?.apiType ?? 'chat_completions';
  if (apiType === 'messages') {
    throw new TaskflowError(
      'config',
      `${where}: api_type messages is not supported; use chat_completions or responses`,
    );
  }
  if (apiType !== 'chat_completions' && apiType !== 'responses') {
    throw new TaskflowError(
      'config',
      `${where}: unknown api_type ${JSON.stringify(apiType)} (chat_completions or responses)`,
    );
  }
  const endpoint =
    stringSetting(merged, 'endpoint', where) ??
    present(environment, 'AI_API_ENDPOINT') ??
    DEFAULT_ENDPOINT;
  if (!URL.canParse(endpoint)) {
    throw new TaskflowError(
      'config',
      `${where}: endpoint ${JSON.stringify(endpoint)} is not a URL`,
    );
  }
  const resilience = merged.resilience;
  if (
    resilience !== undefined &&
    (typeof resilience !== 'object' || resilience === null || Array.isArray(resilience))
  ) {
    throw new TaskflowError('config', `${where}: resilience must be a mapping`);
  }
  const rateLimits =
    merged.rate_limits == null
      ? undefined
      : parseRateLimits(merged.rate_limits, `model ${name}: rate_limits`);
  const { tokenVariable, token } = resolveToken(
    stringSetting(merged, 'token', where),
    environment,
    endpoint,
    where,
  );
  const apiSettings = Object.fromEntries(
    Object.entries(merged).filter(
      ([key]) => !(ENGINE_SETTING_KEYS as readonly string[]).includes(key),
    ),
  );
  return {
    modelId: modelConfig?.models[name] ?? name,
    apiType,
    endpoint,
    tokenVariable,
    token,
    apiSettings,
    requestDefaults: requestDefaultsFor(apiType, environment),
    headers: endpointProvider(endpoint, environment).headers,
    ...(resilience !== undefined && { resilience: resilience as Record<string, unknown> }),
    ...(rateLimits !== undefined && { rateLimits }),
    logicalName: name,
  };
}

/**
 * `token` names the variable to read. Without it: AI_API_TOKEN, then COPILOT_TOKEN. A named
 * variable that is unset is an error rather than a silent fallback to another credential.
 */
function resolveToken(
  tokenSetting: string | undefined,
  environment: Environment,
  endpoint: string,
  where: string,
): { tokenVariable: string; token: string } {
  const candidates =
    tokenSetting === undefined ? ['AI_API_TOKEN', 'COPILOT_TOKEN'] : [tokenSetting];
  for (const variable of candidates) {
    const token = present(environment, variable);
    if (token !== undefined) return { tokenVariable: variable, token };
  }
  const tokenVariable = candidates[0] ?? 'AI_API_TOKEN';
  // Local servers (Ollama, vLLM) usually accept any token.
  if (isLoopbackUrl(endpoint)) return { tokenVariable, token: UNUSED_TOKEN };
  throw new TaskflowError(
    'config',
    `${where}: no API token for ${endpoint}: set ${candidates.join(' or ')}`,
  );
}

/**
 * The model used when a task names none: TASKFLOW_DEFAULT_MODEL, COPILOT_DEFAULT_MODEL,
 * else the endpoint provider's default (`openai/gpt-4.1` on GitHub Models, also behind an
 * AWF proxy that mirrors it; `gpt-4.1` elsewhere).
 */
export function defaultModelName(environment: Environment): string {
  const configured =
    present(environment, 'TASKFLOW_DEFAULT_MODEL') ?? present(environment, 'COPILOT_DEFAULT_MODEL');
  if (configured !== undefined) return configured;
  const endpoint = present(environment, 'AI_API_ENDPOINT') ?? DEFAULT_ENDPOINT;
  return endpointProvider(endpoint, environment).defaultModel;
}
