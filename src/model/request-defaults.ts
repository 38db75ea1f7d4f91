import { TaskflowError } from '../errors.js';
import type { Environment } from './resolve-model.js';
import type { ModelRequest } from './types.js';

/**
 * The settings seclab-taskflow-agent sends unless a model config or task says otherwise
 * (its runner builds them before merging `model_settings`): `temperature` 0 on chat
 * completions (on both APIs when `MODEL_TEMP` is set), and with tools `tool_choice: auto`
 * and `parallel_tool_calls` off unless `MODEL_PARALLEL_TOOL_CALLS` is set.
 */
export interface RequestDefaults {
  /** Undefined: none is sent (the responses API without `MODEL_TEMP`). */
  readonly temperature?: number;
  readonly parallelToolCalls: boolean;
}

/** Values of MODEL_PARALLEL_TOOL_CALLS that mean "off" (seclab turns any non-empty value on). */
const OFF = new Set(['0', 'false', 'no', 'off']);

/**
 * The defaults for one api type from the environment (passed in; never process.env).
 *
 * @throws TaskflowError 'config' when MODEL_TEMP is set but is not a number
 */
export function requestDefaultsFor(
  apiType: 'chat_completions' | 'responses',
  environment: Environment,
): RequestDefaults {
  const rawTemperature = environment.MODEL_TEMP?.trim();
  let temperature: number | undefined = apiType === 'chat_completions' ? 0 : undefined;
  if (rawTemperature !== undefined && rawTemperature !== '') {
    temperature = Number(rawTemperature);
    if (!Number.isFinite(temperature)) {
      throw new TaskflowError(
        'config',
        `MODEL_TEMP must be a number (the temperature sent to the model), got ${JSON.stringify(environment.MODEL_TEMP)}`,
      );
    }
  }
  const parallel = environment.MODEL_PARALLEL_TOOL_CALLS?.trim().toLowerCase() ?? '';
  return {
    ...(temperature !== undefined && { temperature }),
    parallelToolCalls: parallel !== '' && !OFF.has(parallel),
  };
}

/**
 * The request as sent: the defaults under the request's own settings (which win), and
 * settings whose value is `null` removed, so a model config can unset a default
 * (`temperature: null`) as it can in seclab. Tool defaults apply only when the request
 * offers tools (servers reject `tool_choice` without them).
 */
export function withRequestDefaults(
  request: ModelRequest,
  defaults: RequestDefaults | undefined,
): ModelRequest {
  const merged: Record<string, unknown> = {
    ...(defaults?.temperature !== undefined && { temperature: defaults.temperature }),
    ...(defaults !== undefined &&
      request.tools.length > 0 && {
        tool_choice: 'auto',
        parallel_tool_calls: defaults.parallelToolCalls,
      }),
    ...request.settings,
  };
  const settings = Object.fromEntries(
    Object.entries(merged).filter(([, value]) => value !== null && value !== undefined),
  );
  return { ...request, settings };
}
