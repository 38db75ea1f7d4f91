import path from 'node:path';
import type { ToolboxDefinition } from '../definitions/types.js';
import { isTaskflowError, TaskflowError } from '../errors.js';
import type { TemplateRenderer } from '../templates/template-renderer.js';
import { buildServerEnvironment } from '../toolbox/build-server-environment.js';
import type { ResolvedToolbox } from '../toolbox/types.js';
import type { RunnerInfo } from './runner-info.js';
import type { EnvironmentMap } from './task-environment.js';

export interface ResolveToolboxOptions {
  /** Renderer whose env() sees the task environment. */
  readonly renderer: TemplateRenderer;
  readonly taskEnvironment: EnvironmentMap;
  readonly denylist: readonly string[];
  readonly runner: RunnerInfo;
  readonly workingDirectory: string;
  /** Unique name for this task (short name, suffixed when two toolboxes share one). */
  readonly name: string;
  /** Extra template variables (globals, inputs). */
  readonly context?: Readonly<Record<string, unknown>>;
}

/**
 * Render a toolbox definition's templates (args, env, cwd, url, headers) into the final
 * values the toolbox layer starts. Optional headers whose value renders empty are dropped.
 */
export function resolveToolbox(
  definition: ToolboxDefinition,
  options: ResolveToolboxOptions,
): ResolvedToolbox {
  const params = definition.serverParams;
  const context = { ...options.context, runner: options.runner };
  const render = (text: string, field: string): string => {
    try {
      return options.renderer.render(text, context, { templateName: definition.filePath });
    } catch (error) {
      if (!isTaskflowError(error)) throw error;
      throw new TaskflowError(
        'template',
        `toolbox "${definition.ref}" ${field}: ${error.message}`,
        {
          cause: error,
          filePath: definition.filePath,
          toolbox: definition.shortName,
        },
      );
    }
  };
  const renderMap = (map: Readonly<Record<string, string>>, field: string) => {
    const result: Record<string, string> = {};
    for (const [key, value] of Object.entries(map)) result[key] = render(value, `${field}.${key}`);
    return result;
  };
  const env = renderMap(params.env, 'server_params.env');
  const headers = renderMap(params.headers, 'server_params.headers');
  for (const [key, value] of Object.entries(
    renderMap(params.optionalHeaders, 'server_params.optional_headers'),
  )) {
    if (value.trim() !== '') headers[key] = value;
  }
  const cwd =
    params.cwd === undefined
      ? undefined
      : path.resolve(options.workingDirectory, render(params.cwd, 'server_params.cwd'));
  return {
    name: options.name,
    kind: params.kind,
    ...(params.command !== undefined && {
      command: render(params.command, 'server_params.command'),
    }),
    args: params.args.map((arg, index) => render(arg, `server_params.args[${index}]`)),
    ...(cwd !== undefined && { cwd }),
    env: buildServerEnvironment(options.taskEnvironment, env, options.denylist),
    ...(params.url !== undefined && { url: render(params.url, 'server_params.url') }),
    headers,
    timeoutMs: params.timeoutMs,
    connectTimeoutMs: params.connectTimeoutMs,
    confirm: [...definition.confirm],
    ...(definition.serverPrompt !== undefined && { serverPrompt: definition.serverPrompt }),
    ...(params.reconnecting && { reconnecting: true }),
  };
}

/**
 * Short names, made unique within a task: a repeated short name gets the first free
 * `_2`, `_3`, ... suffix, never one another toolbox already has as its own short name
 * (`echo`, `echo`, `echo_2` -> `echo`, `echo_3`, `echo_2`).
 */
export function uniqueToolboxNames(definitions: readonly ToolboxDefinition[]): string[] {
  const taken = new Set(definitions.map((definition) => definition.shortName));
  const seen = new Set<string>();
  return definitions.map(({ shortName }) => {
    if (!seen.has(shortName)) {
      seen.add(shortName);
      return shortName;
    }
    let suffix = 2;
    while (taken.has(`${shortName}_${suffix}`)) suffix++;
    const name = `${shortName}_${suffix}`;
    taken.add(name);
    return name;
  });
}
