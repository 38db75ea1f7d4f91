import { z } from 'zod';
import { anyMapSchema, HEADER_KEY, headerSchema } from './common.js';

/** `messages` and non-openai backends are seclab features we cannot serve; accepted with a
 *  warning so a shared config still loads, refused when a task uses such a model. */
export const apiTypeSchema = z.enum(['chat_completions', 'responses', 'messages']);

export const modelConfigSchema = z.strictObject({
  [HEADER_KEY]: headerSchema,
  api_type: apiTypeSchema.nullish().describe('default API for all models'),
  backend: z.string().nullish().describe('seclab SDK adapter (only openai_agents is supported)'),
  models: z.record(z.string(), z.string().min(1)).nullish().describe('logical name -> model id'),
  model_settings: z
    .record(z.string(), anyMapSchema)
    .nullish()
    .describe('per logical model: API settings and engine keys'),
});

export type RawModelConfig = z.infer<typeof modelConfigSchema>;
