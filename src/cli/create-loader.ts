import { DefinitionLoader } from '../definitions/definition-loader.js';
import { lazyPythonSitePackages } from '../definitions/python-site-packages.js';
import { createTemplateRenderer } from '../templates/template-renderer.js';
import { TaskflowError } from '../errors.js';
import { searchPaths, type RuntimeContext } from './runtime-context.js';

/** A definition loader over the search roots of cli.md (flags, TASKFLOW_PATH, cwd, packages,
 *  bundle, then Python site-packages of VIRTUAL_ENV or the python3 on PATH). */
export function createLoader(
  context: RuntimeContext,
  flagPaths: readonly string[],
): DefinitionLoader {
  const templates = createTemplateRenderer({
    environment: {},
    resolvePrompt: (name) => {
      throw new TaskflowError(
        'reference-unresolved',
        `prompt "${name}" is not available while validating syntax`,
      );
    },
  });
  return new DefinitionLoader({
    roots: {
      searchPaths: searchPaths(flagPaths, context.environment),
      workingDirectory: context.workingDirectory,
      bundleRoot: context.bundleRoot,
      pythonSitePackages: lazyPythonSitePackages({
        environment: context.environment,
        workingDirectory: context.workingDirectory,
      }),
    },
    templates,
  });
}
