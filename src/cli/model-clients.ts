import type { ModelConfigDefinition } from '../definitions/types.js';
import type { RunDependencies } from '../engine/run-types.js';
import { resolveModelTarget, type Environment, type ModelTarget } from '../model/resolve-model.js';
import type { CreateModelClientOptions } from '../model/create-model-client.js';
import { RecordingClient, ReplayingClient } from '../model/cassette.js';
import { logModelErrors } from '../model/log-model-errors.js';
import type { CompleteOptions, ModelClient, ModelRequest, ModelResponse } from '../model/types.js';
import type { Redactor } from '../redactor.js';
import {
  parseResilienceOverrides,
  type ResilienceOverrides,
} from '../resilience/resilience-settings.js';

export interface ModelClientOptions {
  /** `--record <file>`: append every exchange to this cassette. */
  readonly record?: string;
  /** `--replay <file>`: answer every request from this cassette, no network. */
  readonly replay?: string;
  readonly redactor: Redactor;
  /** Told one line per failed model attempt (status, class, request id): the debug log. */
  readonly logModelError?: (line: string) => void;
}

/** A run's model lookup: a task's model name against the model config and environment. */
export function modelResolver(
  modelConfig: ModelConfigDefinition | undefined,
  environment: Environment,
): RunDependencies['resolveModel'] {
  return (name, taskSettings) =>
    resolveModelTarget({
      name,
      ...(modelConfig && { modelConfig }),
      taskSettings,
      environment,
    });
}

/** A token a model config names is a secret whatever its variable is called. */
export function redactModelConfigTokens(
  modelConfig: ModelConfigDefinition | undefined,
  environment: Environment,
  redactor: Redactor,
): void {
  for (const settings of Object.values(modelConfig?.modelSettings ?? {})) {
    if (typeof settings.token === 'string') redactor.add(environment[settings.token]);
  }
}

/** `model_settings.<model>.resilience` of a target, validated. */
export function resilienceOverridesOf(target: ModelTarget): ResilienceOverrides | undefined {
  if (!target.resilience) return undefined;
  return parseResilienceOverrides(
    target.resilience,
    `model_settings.${target.logicalName}.resilience`,
  );
}

/**
 * Builds the client for a model target: the HTTP client with the watchdog timeouts of its
 * resilience settings, or a cassette recorder/replayer around it. One replayer serves the
 * whole run (the recorded exchanges are consumed once each). HTTP clients are stateless
 * between requests, so targets that agree on everything the client uses share one (and
 * with it one SDK client) instead of building one per item.
 */
export function modelClientFactory(
  options: ModelClientOptions,
): (target: ModelTarget) => ModelClient {
  let replayer: ModelClient | undefined;
  const httpClients = new Map<string, ModelClient>();
  const logged = (client: ModelClient): ModelClient =>
    options.logModelError ? logModelErrors(client, options.logModelError) : client;
  return (target) => {
    if (options.replay) {
      replayer ??= logged(new ReplayingClient(options.replay, target.apiType));
      return replayer;
    }
    const overrides = resilienceOverridesOf(target);
    const timeouts = {
      ...(overrides?.headersTimeoutMs !== undefined && { headersMs: overrides.headersTimeoutMs }),
      ...(overrides?.idleTimeoutMs !== undefined && { idleMs: overrides.idleTimeoutMs }),
    };
    const { apiType, endpoint, token, tokenVariable, headers, requestDefaults } = target;
    const key = JSON.stringify([
      apiType,
      endpoint,
      token,
      tokenVariable,
      headers,
      requestDefaults,
      timeouts,
    ]);
    let client = httpClients.get(key);
    if (client === undefined) {
      client = logged(lazyHttpClient(target, { timeouts }));
      httpClients.set(key, client);
    }
    return options.record
      ? new RecordingClient(client, options.record, (text) => options.redactor.redact(text))
      : client;
  };
}

/**
 * The HTTP client of `target`, its module (and with it the openai SDK) imported on the
 * first request: a run whose tasks never call a model never loads the SDK.
 */
function lazyHttpClient(target: ModelTarget, options: CreateModelClientOptions): ModelClient {
  let client: Promise<ModelClient> | undefined;
  return {
    apiType: target.apiType,
    endpoint: target.endpoint,
    async complete(
      request: ModelRequest,
      completeOptions?: CompleteOptions,
    ): Promise<ModelResponse> {
      client ??= import('../model/create-model-client.js').then((module) =>
        module.createModelClient(target, options),
      );
      return (await client).complete(request, completeOptions);
    },
  };
}
