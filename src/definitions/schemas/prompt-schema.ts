import * as z from '../../zod.js';
import { HEADER_KEY, headerSchema, nullishField } from './common.js';

export const promptSchema = z.strictObject({
  [HEADER_KEY]: headerSchema,
  prompt: nullishField(z.string(), 'text included with {% include %}'),
});

export type RawPrompt = z.infer<typeof promptSchema>;
