import * as z from '../../zod.js';
import {
  anyMapSchema,
  durationSchema,
  HEADER_KEY,
  headerSchema,
  nonEmptyString,
  nullishField,
  refSchema,
  stringishMapSchema,
} from './common.js';

export const IDENTIFIER_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

const modelEntrySchema = z.union([
  nonEmptyString(),
  z.strictObject({ model: nonEmptyString(), model_settings: nullishField(anyMapSchema) }),
]);

/** The fields of one task, as written. Rules across fields are checked in task-rules.ts. */
export const taskSchema = z.strictObject({
  name: nullishField(z.string(), 'label in output, events and sessions'),
  description: nullishField(z.string(), 'documentation only'),
  agents: nullishField(
    z.array(refSchema),
    'personalities: first is primary, rest are handoff targets',
  ),
  user_prompt: nullishField(z.string(), 'the prompt (template)'),
  run: nullishField(z.string(), 'shell script run with bash -e; a shell task'),
  uses: nullishField(refSchema, 'single-task taskflow used as the base of this task'),
  inputs: nullishField(anyMapSchema, 'template variables inputs.*'),
  model: nullishField(z.string(), 'model_config key or literal model id'),
  model_settings: nullishField(anyMapSchema, 'merged over the model config settings'),
  toolboxes: nullishField(z.array(refSchema), 'replaces the toolboxes of all agents'),
  blocked_tools: nullishField(z.array(z.string()), 'MCP tool names hidden from the model'),
  headless: nullishField(z.boolean(), 'auto-approve confirm tools'),
  must_complete: nullishField(z.boolean(), 'stop the taskflow if this task fails'),
  max_steps: nullishField(
    z.int().check(z.minimum(0)),
    'maximum model turns per prompt (0 or none: the default, 50)',
  ),
  exclude_from_context: nullishField(z.boolean(), 'stop after the first round of tool calls'),
  repeat_prompt: nullishField(z.boolean(), 'run the prompt once per item of an iterable'),
  async: nullishField(z.boolean(), 'run repeat items concurrently'),
  async_limit: nullishField(z.int().check(z.minimum(1)), 'concurrency bound for async (default 5)'),
  env: nullishField(stringishMapSchema, 'variables for the task shell and MCP servers (templates)'),
  id: nullishField(
    z
      .string()
      .check(
        z.regex(
          IDENTIFIER_PATTERN,
          'must be an identifier (letters, digits, _; not starting with a digit)',
        ),
      ),
    'publishes the result as outputs.<id>',
  ),
  outputs: nullishField(anyMapSchema, 'JSON Schema (2020-12) the result must satisfy'),
  if: nullishField(z.union([z.string(), z.boolean()]), 'skip the task unless truthy'),
  over: nullishField(z.string(), 'explicit iterable for repeat_prompt'),
  capture: nullishField(z.enum(['tool_result', 'response']), 'what the task result is'),
  models: nullishField(
    z.array(modelEntrySchema).check(z.minLength(1)),
    'run the task once per model',
  ),
  model_concurrency: nullishField(
    z.int().check(z.minimum(0)),
    'concurrency bound for models (0 = all)',
  ),
  completion: nullishField(z.enum(['all', 'any']), 'how fan-out branches decide success'),
  timeout: nullishField(durationSchema, 'wall-clock limit for the task (90s, 10m)'),
});

export const taskflowSchema = z.strictObject({
  [HEADER_KEY]: headerSchema,
  globals: nullishField(anyMapSchema, 'template variables globals.*'),
  model_config: nullishField(refSchema, 'model config used by the tasks'),
  taskflow: nullishField(
    z.array(z.strictObject({ task: taskSchema })),
    'tasks, run in order (none: nothing to do)',
  ),
});

export type RawTask = z.infer<typeof taskSchema>;
export type RawTaskflow = z.infer<typeof taskflowSchema>;
