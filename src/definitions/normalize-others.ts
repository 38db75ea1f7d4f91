import type { RawModelConfig } from './schemas/model-config-schema.js';
import type { RawPersonality } from './schemas/personality-schema.js';
import type { RawPrompt } from './schemas/prompt-schema.js';
import type { RawToolbox } from './schemas/toolbox-schema.js';
import type {
  ModelConfigDefinition,
  PersonalityDefinition,
  PromptDefinition,
  ToolboxDefinition,
} from './types.js';

export const DEFAULT_TOOL_TIMEOUT_MS = 60_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

interface Identity {
  ref: string;
  filePath: string;
  shortName: string;
}

function stringMap(
  map: Record<string, string | number | boolean> | null | undefined,
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(map ?? {})) result[key] = String(value);
  return result;
}

export function normalizePersonality(
  raw: RawPersonality,
  identity: Identity,
): PersonalityDefinition {
  return {
    kind: 'personality',
    ...identity,
    personality: raw.personality ?? '',
    ...(raw.task != null && raw.task !== '' && { task: raw.task }),
    toolboxes: raw.toolboxes ?? [],
  };
}

export function normalizeToolbox(raw: RawToolbox, identity: Identity): ToolboxDefinition {
  const params = raw.server_params;
  const timeoutSeconds = params.timeout ?? (raw.client_session_timeout || undefined);
  return {
    kind: 'toolbox',
    ...identity,
    serverParams: {
      kind: params.kind,
      ...(params.command != null && { command: params.command }),
      args: (params.args ?? []).map(String),
      env: stringMap(params.env),
      ...(params.cwd != null && { cwd: params.cwd }),
      ...(params.url != null && { url: params.url }),
      headers: stringMap(params.headers),
      optionalHeaders: stringMap(params.optional_headers),
      timeoutMs: timeoutSeconds ? Math.round(timeoutSeconds * 1000) : DEFAULT_TOOL_TIMEOUT_MS,
      connectTimeoutMs: params.connect_timeout
        ? Math.round(params.connect_timeout * 1000)
        : DEFAULT_CONNECT_TIMEOUT_MS,
      reconnecting: params.reconnecting ?? false,
    },
    ...(raw.server_prompt != null && { serverPrompt: raw.server_prompt }),
    confirm: raw.confirm ?? [],
  };
}

export function normalizePrompt(raw: RawPrompt, identity: Identity): PromptDefinition {
  return { kind: 'prompt', ...identity, prompt: raw.prompt ?? '' };
}

export function normalizeModelConfig(
  raw: RawModelConfig,
  identity: Identity,
): ModelConfigDefinition {
  const apiType = raw.api_type ?? 'chat_completions';
  return {
    kind: 'model_config',
    ...identity,
    apiType,
    models: raw.models ?? {},
    modelSettings: raw.model_settings ?? {},
  };
}
