import type { LoadedTaskflow } from '../definitions/load-taskflow.js';
import { TASK_FIELD_NAMES } from '../definitions/normalize-taskflow.js';
import type { TaskDefinition, TemplateText } from '../definitions/types.js';
import { jsonSha256 } from './json-sha256.js';
import type { TaskFingerprint } from './manifest.js';

/** Task fields that only label a task: renaming a finished task is not an edit of its work. */
const LABEL_FIELDS = new Set(['index', 'name', 'description', 'explicit', 'position']);

/** Definition fields that say where a file is, not what it means. */
const LOCATION_FIELDS = new Set(['kind', 'ref', 'filePath']);

const RAW_FIELD_NAMES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(TASK_FIELD_NAMES).map(([raw, field]) => [field, raw]),
);

export interface TaskflowFingerprints {
  readonly tasks: TaskFingerprint[];
  /** `globals` and `model_config` of the taskflow file (a resumed run keeps the session's). */
  readonly taskflow: Record<string, string>;
}

function isTemplateText(value: unknown): value is TemplateText {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as TemplateText).text === 'string' &&
    typeof (value as TemplateText).block === 'boolean' &&
    typeof (value as TemplateText).position === 'object'
  );
}

/**
 * A JSON value that means the same as `value` whatever the key order or source position:
 * template texts lose their position (an edit higher up the file moves every later task).
 */
function canonical(value: unknown): unknown {
  if (isTemplateText(value)) return { text: value.text, block: value.block };
  if (Array.isArray(value)) return value.map(canonical);
  if (value instanceof Map) return canonical(Object.fromEntries(value));
  if (value instanceof Set) return [...value].map(canonical);
  if (typeof value === 'object' && value !== null) {
    const result: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const entry = (value as Record<string, unknown>)[key];
      if (entry !== undefined) result[key] = canonical(entry);
    }
    return result;
  }
  return value;
}

/** 64 bits of SHA-256 over the canonical JSON: enough to notice an edit, short in the manifest.
 *  (Hashed as it is serialised: a large global is not copied into one JSON string.) */
function hashOf(value: unknown): string {
  return jsonSha256(canonical(value)).slice(0, 16);
}

/** A definition's content without where it was found (a moved but identical file is unchanged). */
function contentOf(definition: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(definition).filter(([key]) => !LOCATION_FIELDS.has(key)),
  );
}

/** The template texts of a task, where `{% include %}` may name prompts. */
function taskTemplates(task: TaskDefinition): string[] {
  return [task.userPrompt, task.if, task.over, ...Object.values(task.env)]
    .filter((template): template is TemplateText => template !== undefined)
    .map((template) => template.text);
}

/**
 * What one task's run depends on, part by part: each of its fields (raw names, labels
 * excluded), each personality, toolbox and included prompt it uses (by reference), and the
 * model config entries of the models it names.
 */
function taskParts(
  task: TaskDefinition,
  loaded: LoadedTaskflow,
  listIncludes: (template: string) => readonly string[],
): Record<string, string> {
  const parts: Record<string, string> = {};
  for (const [field, value] of Object.entries(task)) {
    if (LABEL_FIELDS.has(field) || value === undefined) continue;
    parts[RAW_FIELD_NAMES[field] ?? field] = hashOf(value);
  }
  const toolboxes = new Set(task.toolboxes ?? []);
  for (const reference of task.agents) {
    const personality = loaded.personalities.get(reference);
    if (!personality) continue;
    parts[`personality ${reference}`] = hashOf(contentOf(personality));
    for (const toolbox of personality.toolboxes) toolboxes.add(toolbox);
  }
  for (const reference of toolboxes) {
    const toolbox = loaded.toolboxes.get(reference);
    if (toolbox) parts[`toolbox ${reference}`] = hashOf(contentOf(toolbox));
  }
  const pending = taskTemplates(task).flatMap((text) => listIncludes(text));
  const seen = new Set<string>();
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (seen.has(name)) continue;
    seen.add(name);
    const prompt = loaded.prompts.get(name);
    if (!prompt) continue;
    parts[`prompt ${name}`] = hashOf(prompt.prompt);
    pending.push(...listIncludes(prompt.prompt));
  }
  const config = loaded.modelConfig;
  if (config && task.userPrompt !== undefined) {
    parts['model_config api_type'] = hashOf(config.apiType);
    const names = [task.model, ...(task.models ?? []).map((choice) => choice.model)];
    for (const name of names) {
      if (name === undefined || !(name in config.models || name in config.modelSettings)) continue;
      parts[`model ${name}`] = hashOf({
        model: config.models[name],
        settings: config.modelSettings[name],
      });
    }
  }
  return parts;
}

/**
 * The per-task fingerprints of a loaded taskflow (see `fingerprintSchema.tasks`).
 * `listIncludes` names the prompts a template includes (the template engine knows).
 */
export function fingerprintTasks(
  loaded: LoadedTaskflow,
  listIncludes: (template: string) => readonly string[],
): TaskflowFingerprints {
  return {
    tasks: loaded.tasks.map((task) => ({
      name: task.name,
      parts: taskParts(task, loaded, listIncludes),
    })),
    taskflow: {
      globals: hashOf(loaded.taskflow.globals),
      model_config: hashOf(loaded.taskflow.modelConfig ?? null),
    },
  };
}
