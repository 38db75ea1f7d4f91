import * as z from '../zod.js';
import { FILETYPE_SCHEMAS } from './filetype-schemas.js';
import { HEADER_KEY } from './header-key.js';
import { FILETYPES, type Filetype } from './types.js';

type JsonObject = Record<string, unknown>;

/** JSON Schema (2020-12) of one filetype, usable by yaml-language-server. */
export function filetypeJsonSchema(filetype: Filetype): JsonObject {
  const schema = z.toJSONSchema(FILETYPE_SCHEMAS[filetype].schema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as JsonObject;
  const properties = schema.properties as Record<string, JsonObject> | undefined;
  const header = properties?.[HEADER_KEY];
  if (header) {
    header.properties = {
      version: { description: 'grammar version', enum: ['1.0', '1', 1] },
      filetype: { const: filetype },
    };
  }
  // Unknown fields are warnings, not errors: let editors flag them without rejecting the file.
  return { title: `taskflow ${filetype}`, ...schema };
}

/** One schema for every filetype, discriminated by the header's filetype. */
export function combinedJsonSchema(): JsonObject {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'taskflow / seclab-taskflow-agent file',
    oneOf: FILETYPES.map((filetype) => {
      const { $schema: _ignored, ...rest } = filetypeJsonSchema(filetype);
      return rest;
    }),
  };
}
