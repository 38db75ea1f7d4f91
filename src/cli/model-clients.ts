import type { ModelTarget } from '../model/resolve-model.js';
import { createModelClient } from '../model/create-model-client.js';
import { RecordingClient, ReplayingClient } from '../model/cassette.js';
import type { ModelClient } from '../model/types.js';
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
 * whole run (the recorded exchanges are consumed once each).
 */
export function modelClientFactory(
  options: ModelClientOptions,
): (target: ModelTarget) => ModelClient {
  let replayer: ReplayingClient | undefined;
  return (target) => {
    if (options.replay) {
      replayer ??= new ReplayingClient(options.replay, target.apiType);
      return replayer;
    }
    const overrides = resilienceOverridesOf(target);
    const client = createModelClient(target, {
      timeouts: {
        ...(overrides?.headersTimeoutMs !== undefined && { headersMs: overrides.headersTimeoutMs }),
        ...(overrides?.idleTimeoutMs !== undefined && { idleMs: overrides.idleTimeoutMs }),
      },
    });
    return options.record
      ? new RecordingClient(client, options.record, (text) => options.redactor.redact(text))
      : client;
  };
}
