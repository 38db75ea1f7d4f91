import { combinedJsonSchema, filetypeJsonSchema } from '../../definitions/json-schema.js';
import { FILETYPES, type Filetype } from '../../definitions/types.js';
import { TaskflowError } from '../../errors.js';
import { EXIT } from '../exit-codes.js';
import type { RuntimeContext } from '../runtime-context.js';

/** `taskflow schema [filetype]`: print the JSON Schema on stdout. */
export function schemaCommand(context: RuntimeContext, filetype: string | undefined): number {
  if (filetype !== undefined && !(FILETYPES as readonly string[]).includes(filetype)) {
    throw new TaskflowError(
      'usage',
      `unknown filetype "${filetype}" (one of: ${FILETYPES.join(', ')})`,
    );
  }
  const schema =
    filetype === undefined ? combinedJsonSchema() : filetypeJsonSchema(filetype as Filetype);
  context.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
  return EXIT.ok;
}
