import type { ParsedYaml } from './parse-yaml.js';
import type { RawTask, RawTaskflow } from './schemas/taskflow-schema.js';
import type {
  ModelChoice,
  TaskDefinition,
  TaskField,
  TaskflowDefinition,
  TemplateText,
} from './types.js';
import { parseDuration } from '../duration.js';

export const DEFAULT_MAX_STEPS = 50;
export const DEFAULT_ASYNC_LIMIT = 5;

/** Raw field name -> definition field name. */
export const TASK_FIELD_NAMES: Readonly<Record<keyof RawTask, TaskField>> = {
  name: 'name',
  description: 'description',
  agents: 'agents',
  user_prompt: 'userPrompt',
  run: 'run',
  uses: 'uses',
  inputs: 'inputs',
  model: 'model',
  model_settings: 'modelSettings',
  toolboxes: 'toolboxes',
  blocked_tools: 'blockedTools',
  headless: 'headless',
  must_complete: 'mustComplete',
  max_steps: 'maxSteps',
  exclude_from_context: 'excludeFromContext',
  repeat_prompt: 'repeatPrompt',
  async: 'async',
  async_limit: 'asyncLimit',
  env: 'env',
  id: 'id',
  outputs: 'outputs',
  if: 'if',
  over: 'over',
  capture: 'capture',
  models: 'models',
  model_concurrency: 'modelConcurrency',
  completion: 'completion',
  timeout: 'timeoutMs',
};

/** Build a TemplateText for a scalar at `fieldPath`. */
export function templateAt(
  parsed: ParsedYaml,
  fieldPath: (string | number)[],
  text: string,
): TemplateText {
  const start = parsed.scalarStart(fieldPath) ?? { ...parsed.locate(fieldPath), block: false };
  return {
    text,
    position: { filePath: parsed.filePath, line: start.line, column: start.column },
    block: start.block,
  };
}

function normalizeModels(models: RawTask['models']): ModelChoice[] | undefined {
  if (!models) return undefined;
  return models.map((entry) =>
    typeof entry === 'string'
      ? { model: entry, modelSettings: {} }
      : { model: entry.model, modelSettings: { ...(entry.model_settings ?? {}) } },
  );
}

/** Normalise one task (defaults applied, `explicit` records what was written). */
export function normalizeTask(
  parsed: ParsedYaml,
  raw: RawTask,
  index: number,
  outputs?: Record<string, unknown>,
): TaskDefinition {
  const base = ['taskflow', index, 'task'];
  const explicit = new Set<TaskField>();
  for (const [key, value] of Object.entries(raw)) {
    const field = TASK_FIELD_NAMES[key as keyof RawTask];
    if (field !== undefined && value !== null && value !== undefined) explicit.add(field);
  }
  const env: Record<string, TemplateText> = {};
  for (const [name, value] of Object.entries(raw.env ?? {})) {
    env[name] = templateAt(parsed, [...base, 'env', name], String(value));
  }
  const position = parsed.locate(base);
  const task: TaskDefinition = {
    index,
    name: raw.name ?? `task-${index + 1}`,
    ...(raw.description != null && { description: raw.description }),
    agents: raw.agents ?? [],
    ...(raw.user_prompt != null && {
      userPrompt: templateAt(parsed, [...base, 'user_prompt'], raw.user_prompt),
    }),
    ...(raw.run != null && { run: raw.run }),
    ...(raw.uses != null && { uses: raw.uses }),
    inputs: raw.inputs ?? {},
    ...(raw.model != null && { model: raw.model }),
    modelSettings: raw.model_settings ?? {},
    ...(raw.toolboxes != null && { toolboxes: raw.toolboxes }),
    blockedTools: raw.blocked_tools ?? [],
    headless: raw.headless ?? false,
    mustComplete: raw.must_complete ?? false,
    maxSteps: raw.max_steps ?? DEFAULT_MAX_STEPS,
    excludeFromContext: raw.exclude_from_context ?? false,
    repeatPrompt: raw.repeat_prompt ?? false,
    async: raw.async ?? false,
    asyncLimit: raw.async_limit ?? DEFAULT_ASYNC_LIMIT,
    env,
    ...(raw.id != null && { id: raw.id }),
    ...(outputs !== undefined && { outputs }),
    ...(raw.if != null && { if: templateAt(parsed, [...base, 'if'], String(raw.if)) }),
    ...(raw.over != null && { over: templateAt(parsed, [...base, 'over'], raw.over) }),
    capture: raw.capture ?? 'tool_result',
    ...(raw.models != null && { models: normalizeModels(raw.models) }),
    modelConcurrency: raw.model_concurrency ?? 0,
    completion: raw.completion ?? 'all',
    ...(raw.timeout != null && { timeoutMs: timeoutMsOf(raw.timeout) }),
    explicit,
    position: { filePath: parsed.filePath, ...position },
  };
  return task;
}

export function normalizeTaskflow(
  parsed: ParsedYaml,
  raw: RawTaskflow,
  identity: { ref: string; shortName: string },
  outputsByTask: ReadonlyMap<number, Record<string, unknown>>,
): TaskflowDefinition {
  return {
    kind: 'taskflow',
    ref: identity.ref,
    filePath: parsed.filePath,
    shortName: identity.shortName,
    globals: raw.globals ?? {},
    ...(raw.model_config != null && { modelConfig: raw.model_config }),
    tasks: (raw.taskflow ?? []).map((entry, index) =>
      normalizeTask(parsed, entry.task, index, outputsByTask.get(index)),
    ),
  };
}

/**
 * A task that `uses` a base: fields written in the using task win (an explicit `false`
 * overrides a base `true`); everything else comes from the base. Index, position and
 * `uses` stay the using task's; `inputs` are merged (using task wins per key).
 */
export function mergeUsedTask(using: TaskDefinition, base: TaskDefinition): TaskDefinition {
  const merged: Record<string, unknown> = { ...base };
  for (const field of using.explicit) merged[field] = using[field as keyof TaskDefinition];
  merged.inputs = Object.freeze({ ...base.inputs, ...using.inputs });
  merged.index = using.index;
  merged.position = using.position;
  merged.name = using.explicit.has('name')
    ? using.name
    : base.explicit.has('name')
      ? base.name
      : using.name;
  merged.explicit = new Set([...base.explicit, ...using.explicit]);
  delete merged.uses;
  // Like every definition, the effective task is immutable (its parts already are).
  return Object.freeze(merged) as unknown as TaskDefinition;
}

/** `timeout:` in milliseconds: a number is seconds; a text was checked against DURATION_PATTERN. */
function timeoutMsOf(value: number | string): number {
  return typeof value === 'number' ? Math.round(value * 1000) : (parseDuration(value) ?? 0);
}
