import type { DefinitionLoader } from './definition-loader.js';
import { checkTaskflowReferences } from './load-taskflow.js';
import type { Definition } from './types.js';

/**
 * `taskflow validate`: load each reference (any filetype) and cross-check what it
 * references; a taskflow's globals are checked against `globalFlags` (`-g` keys) too.
 * Issues land in `loader.issues`; returns the definitions that loaded.
 */
export function validateReferences(
  loader: DefinitionLoader,
  references: readonly string[],
  options: { globalFlags?: readonly string[] } = {},
): Definition[] {
  const loaded: Definition[] = [];
  for (const reference of references) {
    const definition = loader.load(reference, undefined);
    if (!definition) continue;
    loaded.push(definition);
    switch (definition.kind) {
      case 'taskflow':
        checkTaskflowReferences(loader, reference, {
          agentlessFragment: 'warning',
          globalFlags: options.globalFlags ?? [],
        });
        break;
      case 'personality':
        definition.toolboxes.forEach((toolbox, index) => {
          const position = loader.positionIn(definition.filePath, ['toolboxes', index]);
          loader.load(toolbox, 'toolbox', {
            filePath: definition.filePath,
            ...position,
            fieldPath: `toolboxes[${index}]`,
          });
        });
        break;
      case 'prompt': {
        const names = loader.options.templates.listIncludes(definition.prompt);
        for (const name of names) {
          const position = loader.positionIn(definition.filePath, ['prompt']);
          loader.load(name, 'prompt', {
            filePath: definition.filePath,
            ...position,
            fieldPath: 'prompt',
          });
        }
        break;
      }
      case 'toolbox':
      case 'model_config':
        break;
    }
  }
  return loaded;
}
