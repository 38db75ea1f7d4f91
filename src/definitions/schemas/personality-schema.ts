import { z } from 'zod';
import { HEADER_KEY, headerSchema, refSchema } from './common.js';

export const personalitySchema = z.strictObject({
  [HEADER_KEY]: headerSchema,
  personality: z.string().nullish().describe('who the agent is (system prompt)'),
  task: z.string().nullish().describe('what it must do'),
  toolboxes: z.array(refSchema).nullish().describe('MCP servers used when the task names none'),
});

export type RawPersonality = z.infer<typeof personalitySchema>;
