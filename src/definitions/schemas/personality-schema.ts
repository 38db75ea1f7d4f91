import * as z from '../../zod.js';
import { HEADER_KEY, headerSchema, nullishField, refSchema } from './common.js';

export const personalitySchema = z.strictObject({
  [HEADER_KEY]: headerSchema,
  personality: nullishField(z.string(), 'who the agent is (system prompt)'),
  task: nullishField(z.string(), 'what it must do'),
  toolboxes: nullishField(z.array(refSchema), 'MCP servers used when the task names none'),
});

export type RawPersonality = z.infer<typeof personalitySchema>;
