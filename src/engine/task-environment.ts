import type { TemplateText } from '../definitions/types.js';
import type { TemplateRenderer } from '../templates/template-renderer.js';
import { renderAt } from './render-at.js';

export type EnvironmentMap = Readonly<Record<string, string | undefined>>;

/**
 * The environment of one task: the task's rendered `env` layered over the runner's
 * environment. A new object; process.env is never touched. `env()` in the values sees
 * the parent environment (the renderer was built over it).
 */
export function buildTaskEnvironment(
  parent: EnvironmentMap,
  taskEnv: Readonly<Record<string, TemplateText>>,
  renderer: TemplateRenderer,
  context: Readonly<Record<string, unknown>>,
): EnvironmentMap {
  const rendered: Record<string, string> = {};
  for (const [name, template] of Object.entries(taskEnv)) {
    rendered[name] = renderAt(renderer, template, context, `env.${name}`);
  }
  return Object.freeze({ ...parent, ...rendered });
}

/** Names from `TASKFLOW_ENV_DENYLIST` (comma-separated). */
export function parseDenylist(environment: EnvironmentMap): string[] {
  return (environment.TASKFLOW_ENV_DENYLIST ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

/** The environment a shell task gets: the task environment minus denylisted names. */
export function shellEnvironment(
  taskEnvironment: EnvironmentMap,
  denylist: readonly string[],
): Record<string, string> {
  const result: Record<string, string> = {};
  const denied = new Set(denylist);
  for (const [name, value] of Object.entries(taskEnvironment)) {
    if (value !== undefined && !denied.has(name)) result[name] = value;
  }
  return result;
}
