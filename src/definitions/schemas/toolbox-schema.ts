import { z } from 'zod';
import { HEADER_KEY, headerSchema, stringishMapSchema } from './common.js';

const serverParamsSchema = z.strictObject({
  kind: z.enum(['stdio', 'sse', 'streamable']).describe('transport'),
  command: z
    .string()
    .min(1)
    .nullish()
    .describe('stdio: program; streamable: local server to launch'),
  args: z
    .array(z.union([z.string(), z.number(), z.boolean()]))
    .nullish()
    .describe('templates'),
  env: stringishMapSchema.nullish().describe('templates; the server environment'),
  cwd: z.string().nullish(),
  url: z.string().nullish().describe('sse / streamable URL'),
  headers: stringishMapSchema.nullish().describe('templates'),
  optional_headers: stringishMapSchema
    .nullish()
    .describe('dropped when the rendered value is empty'),
  timeout: z.number().positive().nullish().describe('seconds per MCP request (default 60)'),
  connect_timeout: z.number().positive().nullish().describe('seconds to start (default 30)'),
  reconnecting: z.boolean().nullish().describe('seclab: restart a stdio server per call'),
});

export const toolboxSchema = z.strictObject({
  [HEADER_KEY]: headerSchema,
  server_params: serverParamsSchema,
  server_prompt: z.string().nullish().describe('appended to the system prompt'),
  confirm: z.array(z.string()).nullish().describe('tools that need approval unless headless'),
  client_session_timeout: z.number().min(0).nullish().describe('seclab: maps to timeout'),
});

export type RawToolbox = z.infer<typeof toolboxSchema>;
