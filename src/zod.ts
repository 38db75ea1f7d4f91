/**
 * zod for taskflow's own schemas: its tree-shakable API (zod/mini), which loads in a
 * fraction of the time of the chainable one (zod), with the English messages that API
 * leaves out. Import as `import * as z from '<path>/zod.js'`. (The MCP SDK brings the
 * chainable API with it, but only runs with agents load the SDK.)
 */
import { config } from 'zod/mini';
import english from 'zod/v4/locales/en.js';

config(english());

export * from 'zod/mini';
