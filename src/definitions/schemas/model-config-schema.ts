import * as z from '../../zod.js';
import { anyMapSchema, HEADER_KEY, headerSchema, nonEmptyString, nullishField } from './common.js';

/** `messages` and non-openai backends are seclab features we cannot serve; accepted with a
 *  warning so a shared config still loads, refused when a task uses such a model. */
export const apiTypeSchema = z.enum(['chat_completions', 'responses', 'messages']);

export const modelConfigSchema = z.strictObject({
  [HEADER_KEY]: headerSchema,
  api_type: nullishField(apiTypeSchema, 'default API for all models'),
  backend: nullishField(z.string(), 'seclab SDK adapter (only openai_agents is supported)'),
  models: nullishField(z.record(z.string(), nonEmptyString()), 'logical name -> model id'),
  model_settings: nullishField(
    z.record(z.string(), anyMapSchema),
    'per logical model: API settings and engine keys',
  ),
});

export type RawModelConfig = z.infer<typeof modelConfigSchema>;
