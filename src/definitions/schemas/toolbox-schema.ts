import * as z from '../../zod.js';
import {
  HEADER_KEY,
  headerSchema,
  nonEmptyString,
  nullishField,
  stringishMapSchema,
} from './common.js';

const positiveNumber = () => z.number().check(z.positive());

const serverParamsSchema = z.strictObject({
  kind: z.enum(['stdio', 'sse', 'streamable']).check(z.describe('transport')),
  command: nullishField(nonEmptyString(), 'stdio: program; streamable: local server to launch'),
  args: nullishField(z.array(z.union([z.string(), z.number(), z.boolean()])), 'templates'),
  env: nullishField(stringishMapSchema, 'templates; the server environment'),
  cwd: nullishField(z.string()),
  url: nullishField(z.string(), 'sse / streamable URL'),
  headers: nullishField(stringishMapSchema, 'templates'),
  optional_headers: nullishField(stringishMapSchema, 'dropped when the rendered value is empty'),
  timeout: nullishField(positiveNumber(), 'seconds per MCP request (default 60)'),
  connect_timeout: nullishField(positiveNumber(), 'seconds to start (default 30)'),
  reconnecting: nullishField(z.boolean(), 'seclab: restart a stdio server per call'),
});

export const toolboxSchema = z.strictObject({
  [HEADER_KEY]: headerSchema,
  server_params: serverParamsSchema,
  server_prompt: nullishField(z.string(), 'appended to the system prompt'),
  confirm: nullishField(z.array(z.string()), 'tools that need approval unless headless'),
  client_session_timeout: nullishField(z.number().check(z.minimum(0)), 'seclab: maps to timeout'),
});

export type RawToolbox = z.infer<typeof toolboxSchema>;
