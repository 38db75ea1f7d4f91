import { listDefinitions } from '../../definitions/list-definitions.js';
import { displayPath } from '../../definitions/issues.js';
import { EXIT } from '../exit-codes.js';
import { searchPaths, type RuntimeContext } from '../runtime-context.js';
import type { Filetype } from '../../definitions/types.js';

const HEADINGS: Record<Filetype, string> = {
  taskflow: 'taskflows',
  personality: 'personalities',
  toolbox: 'toolboxes',
  prompt: 'prompts',
  model_config: 'model configs',
};

/** `taskflow list [kind]`: dotted names found on the search path, grouped by kind. */
export function listCommand(
  context: RuntimeContext,
  kind: string | undefined,
  options: { path: readonly string[]; json?: boolean },
): number {
  const entries = listDefinitions({
    searchPaths: searchPaths(options.path, context.environment),
    workingDirectory: context.workingDirectory,
    bundleRoot: context.bundleRoot,
  }).filter((entry) => kind === undefined || entry.filetype === kind);
  if (options.json) {
    context.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
    return EXIT.ok;
  }
  const width = Math.max(0, ...entries.map((entry) => entry.name.length));
  for (const filetype of Object.keys(HEADINGS) as Filetype[]) {
    const group = entries.filter((entry) => entry.filetype === filetype);
    if (group.length === 0) continue;
    context.stdout.write(`${HEADINGS[filetype]}\n`);
    for (const entry of group) {
      context.stdout.write(
        `  ${entry.name.padEnd(width)}  ${displayPath(entry.filePath, context.workingDirectory)}\n`,
      );
    }
  }
  if (entries.length === 0) context.stdout.write('nothing found on the search path\n');
  return EXIT.ok;
}
