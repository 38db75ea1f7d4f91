import type { ToolboxDefinition } from '../definitions/types.js';
import { TaskflowError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Redactor } from '../redactor.js';
import type { TemplateRenderer } from '../templates/template-renderer.js';
import type { ToolboxSet } from '../toolbox/connect-toolboxes.js';
import type { ToolboxResilienceOptions } from '../toolbox/types.js';
import { checkPythonServerModule, type PythonModuleChecks } from './check-python-server-module.js';
import { resolveToolbox, uniqueToolboxNames } from './resolve-toolbox.js';
import type { RunnerInfo } from './runner-info.js';
import type { StartedToolbox } from './task-agents.js';
import type { EnvironmentMap } from './task-environment.js';

export interface StartTaskToolboxesInput {
  readonly refs: readonly string[];
  readonly definitions: ReadonlyMap<string, ToolboxDefinition>;
  readonly renderer: TemplateRenderer;
  readonly taskEnvironment: EnvironmentMap;
  readonly denylist: readonly string[];
  readonly runner: RunnerInfo;
  readonly workingDirectory: string;
  readonly context: Readonly<Record<string, unknown>>;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
  /**
   * Start retries, restart budget and clock (resilience.md "Tools"); the defaults are the
   * spec's (5 s and 15 s between start attempts, 2 restarts). Warnings about retries,
   * restarts and `env` keys left out go to `logger.warn` unless `onWarning` is given.
   */
  readonly resilience?: ToolboxResilienceOptions;
  /** Told the rendered `env` values and headers whose name or value marks them as secrets. */
  readonly redactor?: Redactor;
  /** The run's Python module checks so far (see checkPythonServerModule); none: check each start. */
  readonly pythonModuleChecks?: PythonModuleChecks;
}

export interface TaskToolboxes extends AsyncDisposable {
  readonly started: readonly StartedToolbox[];
  close(): Promise<void>;
}

/**
 * Start a task's toolboxes once, in parallel (all or nothing); a ref given twice starts
 * one server. A server that fails to start gets two more attempts (5 s, then 15 s later);
 * one that stops during the task is restarted (twice at most). Items, models and agents of
 * the task share these connections; `close()` stops them in reverse order. A toolbox that
 * runs a known Python package's server (`python -m seclab_taskflow_agent…`) is checked
 * first, so a missing package fails at once, naming the pip package.
 *
 * @throws TaskflowError 'toolbox-start' (after the retries; at once for a missing Python
 *   package), 'template' (a value that must render does not) or 'cancelled'
 */
export async function startTaskToolboxes(input: StartTaskToolboxesInput): Promise<TaskToolboxes> {
  // The same ref twice (two agents, or a repeated list entry) is one server.
  const refs = [...new Set(input.refs)];
  const definitions = refs.map((ref) => {
    const definition = input.definitions.get(ref);
    if (!definition) throw new TaskflowError('internal', `toolbox "${ref}" was not loaded`);
    return definition;
  });
  const names = uniqueToolboxNames(definitions);
  const onWarning =
    input.resilience?.onWarning ?? ((message: string) => input.logger.warn(message));
  const resolved = definitions.map((definition, index) =>
    resolveToolbox(definition, {
      renderer: input.renderer,
      taskEnvironment: input.taskEnvironment,
      denylist: input.denylist,
      runner: input.runner,
      workingDirectory: input.workingDirectory,
      name: names[index] ?? definition.shortName,
      context: input.context,
      onWarning,
    }),
  );
  for (const { env, headers } of resolved) {
    for (const [name, value] of [...Object.entries(env), ...Object.entries(headers)]) {
      input.redactor?.addNamed(name, value);
    }
  }
  const signalOption = input.signal ? { signal: input.signal } : {};
  const checkOptions = {
    ...signalOption,
    ...(input.pythonModuleChecks && { checked: input.pythonModuleChecks }),
  };
  await Promise.all(resolved.map((toolbox) => checkPythonServerModule(toolbox, checkOptions)));
  let set: ToolboxSet | undefined;
  if (resolved.length > 0) {
    // Loaded here: a run whose tasks start no toolbox never loads the MCP client.
    const { connectToolboxes } = await import('../toolbox/connect-toolboxes.js');
    set = await connectToolboxes(resolved, {
      onWarning: (message) => input.logger.warn(message),
      ...input.resilience,
      ...signalOption,
      logger: (line) => input.logger.debug(line),
    });
  }
  const started: StartedToolbox[] = definitions.map((definition, index) => {
    const connection = set?.connections[index];
    if (!connection)
      throw new TaskflowError('internal', `toolbox "${definition.ref}" did not start`);
    return { ref: refs[index] as string, definition, connection };
  });
  const close = async () => {
    await set?.close();
  };
  return { started, close, [Symbol.asyncDispose]: close };
}
