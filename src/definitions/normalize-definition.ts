import { assertNever } from '../errors.js';
import {
  normalizeModelConfig,
  normalizePersonality,
  normalizePrompt,
  normalizeToolbox,
} from './normalize-others.js';
import { normalizeTaskflow } from './normalize-taskflow.js';
import type { ParsedYaml } from './parse-yaml.js';
import type { RawModelConfig } from './schemas/model-config-schema.js';
import type { RawPersonality } from './schemas/personality-schema.js';
import type { RawPrompt } from './schemas/prompt-schema.js';
import type { RawTaskflow } from './schemas/taskflow-schema.js';
import type { RawToolbox } from './schemas/toolbox-schema.js';
import type { Definition, Filetype } from './types.js';

/** Turn a shape-checked file into its immutable definition. */
export function normalizeDefinition(
  parsed: ParsedYaml,
  filetype: Filetype,
  identity: { ref: string; filePath: string; shortName: string },
  outputsByTask: ReadonlyMap<number, Record<string, unknown>>,
): Definition {
  const value = parsed.value;
  const definition = ((): Definition => {
    switch (filetype) {
      case 'taskflow':
        return normalizeTaskflow(parsed, value as RawTaskflow, identity, outputsByTask);
      case 'personality':
        return normalizePersonality(value as RawPersonality, identity);
      case 'toolbox':
        return normalizeToolbox(value as RawToolbox, identity);
      case 'prompt':
        return normalizePrompt(value as RawPrompt, identity);
      case 'model_config':
        return normalizeModelConfig(value as RawModelConfig, identity);
      default:
        return assertNever(filetype, 'filetype');
    }
  })();
  return deepFreeze(definition);
}

/** Definitions are immutable: freeze them (Sets and Maps are left as they are). */
export function deepFreeze<T>(value: T): T {
  if (
    value !== null &&
    typeof value === 'object' &&
    !Object.isFrozen(value) &&
    !(value instanceof Set)
  ) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
