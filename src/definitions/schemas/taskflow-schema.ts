import { z } from 'zod';
import {
  anyMapSchema,
  durationSchema,
  HEADER_KEY,
  headerSchema,
  refSchema,
  stringishMapSchema,
} from './common.js';

export const IDENTIFIER_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

const modelEntrySchema = z.union([
  z.string().min(1),
  z.strictObject({ model: z.string().min(1), model_settings: anyMapSchema.nullish() }),
]);

/** The fields of one task, as written. Rules across fields are checked in task-rules.ts. */
export const taskSchema = z.strictObject({
  name: z.string().nullish().describe('label in output, events and sessions'),
  description: z.string().nullish().describe('documentation only'),
  agents: z
    .array(refSchema)
    .nullish()
    .describe('personalities: first is primary, rest are handoff targets'),
  user_prompt: z.string().nullish().describe('the prompt (template)'),
  run: z.string().nullish().describe('shell script run with bash -e; a shell task'),
  uses: refSchema.nullish().describe('single-task taskflow used as the base of this task'),
  inputs: anyMapSchema.nullish().describe('template variables inputs.*'),
  model: z.string().nullish().describe('model_config key or literal model id'),
  model_settings: anyMapSchema.nullish().describe('merged over the model config settings'),
  toolboxes: z.array(refSchema).nullish().describe('replaces the toolboxes of all agents'),
  blocked_tools: z.array(z.string()).nullish().describe('MCP tool names hidden from the model'),
  headless: z.boolean().nullish().describe('auto-approve confirm tools'),
  must_complete: z.boolean().nullish().describe('stop the taskflow if this task fails'),
  max_steps: z
    .int()
    .min(0)
    .nullish()
    .describe('maximum model turns per prompt (0 or none: the default, 50)'),
  exclude_from_context: z.boolean().nullish().describe('stop after the first round of tool calls'),
  repeat_prompt: z.boolean().nullish().describe('run the prompt once per item of an iterable'),
  async: z.boolean().nullish().describe('run repeat items concurrently'),
  async_limit: z.int().min(1).nullish().describe('concurrency bound for async (default 5)'),
  env: stringishMapSchema
    .nullish()
    .describe('variables for the task shell and MCP servers (templates)'),
  id: z
    .string()
    .regex(
      IDENTIFIER_PATTERN,
      'must be an identifier (letters, digits, _; not starting with a digit)',
    )
    .nullish()
    .describe('publishes the result as outputs.<id>'),
  outputs: anyMapSchema.nullish().describe('JSON Schema (2020-12) the result must satisfy'),
  if: z.union([z.string(), z.boolean()]).nullish().describe('skip the task unless truthy'),
  over: z.string().nullish().describe('explicit iterable for repeat_prompt'),
  capture: z.enum(['tool_result', 'response']).nullish().describe('what the task result is'),
  models: z.array(modelEntrySchema).min(1).nullish().describe('run the task once per model'),
  model_concurrency: z.int().min(0).nullish().describe('concurrency bound for models (0 = all)'),
  completion: z.enum(['all', 'any']).nullish().describe('how fan-out branches decide success'),
  timeout: durationSchema.nullish().describe('wall-clock limit for the task (90s, 10m)'),
});

export const taskflowSchema = z.strictObject({
  [HEADER_KEY]: headerSchema,
  globals: anyMapSchema.nullish().describe('template variables globals.*'),
  model_config: refSchema.nullish().describe('model config used by the tasks'),
  taskflow: z
    .array(z.strictObject({ task: taskSchema }))
    .nullish()
    .describe('tasks, run in order (none: nothing to do)'),
});

export type RawTask = z.infer<typeof taskSchema>;
export type RawTaskflow = z.infer<typeof taskflowSchema>;
