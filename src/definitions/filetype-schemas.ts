import type * as z from '../zod.js';
import { HEADER_KEY } from './header-key.js';
import { modelConfigSchema } from './schemas/model-config-schema.js';
import { personalitySchema } from './schemas/personality-schema.js';
import { promptSchema } from './schemas/prompt-schema.js';
import { taskflowSchema, taskSchema } from './schemas/taskflow-schema.js';
import { toolboxSchema } from './schemas/toolbox-schema.js';
import type { Filetype } from './types.js';

interface FiletypeSchema {
  readonly schema: z.ZodMiniType;
  /** Every field name the filetype knows, for "did you mean" hints. */
  readonly knownFields: readonly string[];
}

const keys = (...shapes: object[]) => [...new Set(shapes.flatMap((shape) => Object.keys(shape)))];

export const FILETYPE_SCHEMAS: Readonly<Record<Filetype, FiletypeSchema>> = {
  taskflow: {
    schema: taskflowSchema,
    knownFields: keys(taskflowSchema.shape, taskSchema.shape, { task: 0, model_settings: 0 }),
  },
  personality: { schema: personalitySchema, knownFields: keys(personalitySchema.shape) },
  toolbox: {
    schema: toolboxSchema,
    knownFields: keys(toolboxSchema.shape, toolboxSchema.shape.server_params.shape),
  },
  prompt: { schema: promptSchema, knownFields: keys(promptSchema.shape) },
  model_config: { schema: modelConfigSchema, knownFields: keys(modelConfigSchema.shape) },
};

export { HEADER_KEY };
