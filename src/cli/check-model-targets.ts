import type { LoadedTaskflow } from '../definitions/load-taskflow.js';
import type { Environment } from '../model/resolve-model.js';
import { defaultModelName, resolveModelTarget } from '../model/resolve-model.js';
import { rateLimitsFromEnvironment } from './rate-limits-environment.js';

/** The environment models are resolved in: a replay needs no credentials (the cassette answers). */
export function modelEnvironment(
  environment: Environment,
  replay: string | undefined,
): Environment {
  if (replay === undefined) return environment;
  // An empty AI_API_TOKEN (`AI_API_TOKEN=` in a CI file) must not undo the stand-in.
  const token = environment.AI_API_TOKEN;
  return { ...environment, AI_API_TOKEN: token === undefined || token === '' ? 'replay' : token };
}

/**
 * Resolves the model of every prompt task that will run (`taskIndexes`, default all) the
 * way the engine will, so a missing token for a remote endpoint, an endpoint that is not a
 * URL, an unsupported api_type or invalid rate limits (`rate_limits`,
 * `TASKFLOW_RATE_LIMITS`) stop the command before a session is created or a request is
 * sent. Model names written as templates are left to the run.
 *
 * @throws TaskflowError 'config' (exit 78) from resolveModelTarget, 'usage' (exit 2) for
 *   `TASKFLOW_RATE_LIMITS`
 */
export function checkModelTargets(
  loaded: LoadedTaskflow,
  environment: Environment,
  taskIndexes?: ReadonlySet<number>,
): void {
  rateLimitsFromEnvironment(environment);
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
