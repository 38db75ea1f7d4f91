import { z } from 'zod';
import { HEADER_KEY, headerSchema } from './common.js';

export const promptSchema = z.strictObject({
  [HEADER_KEY]: headerSchema,
  prompt: z.string().nullish().describe('text included with {% include %}'),
});

export type RawPrompt = z.infer<typeof promptSchema>;
