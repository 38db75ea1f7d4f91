import type { LoadedTaskflow } from '../definitions/load-taskflow.js';
import type { Environment } from '../model/resolve-model.js';
import { defaultModelName, resolveModelTarget } from '../model/resolve-model.js';

/** The environment models are resolved in: a replay needs no credentials (the cassette answers). */
export function modelEnvironment(
  environment: Environment,
  replay: string | undefined,
): Environment {
  return replay !== undefined ? { AI_API_TOKEN: 'replay', ...environment } : environment;
}

/**
 * Resolves the model of every prompt task that will run (`taskIndexes`, default all) the
 * way the engine will, so a missing token for a remote endpoint, an endpoint that is not a
 * URL or an unsupported api_type stops the command before a session is created or a
 * request is sent. Model names written as templates are left to the run.
 *
 * @throws TaskflowError 'config' (exit 78) from resolveModelTarget
 */
export function checkModelTargets(
  loaded: LoadedTaskflow,
  environment: Environment,
  taskIndexes?: ReadonlySet<number>,
): void {
  const defaultModel = defaultModelName(environment);
  loaded.tasks.forEach((task, index) => {
    if (task.run !== undefined || (taskIndexes && !taskIndexes.has(index))) return;
    const choices = task.models ?? [{ model: task.model ?? defaultModel, modelSettings: {} }];
    for (const choice of choices) {
      if (choice.model.includes('{{')) continue;
      resolveModelTarget({
        name: choice.model,
        ...(loaded.modelConfig && { modelConfig: loaded.modelConfig }),
        taskSettings: { ...task.modelSettings, ...choice.modelSettings },
        environment,
      });
    }
  });
}
