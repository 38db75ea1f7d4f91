import path from 'node:path';
import type { ToolboxDefinition } from '../definitions/types.js';
import { isTaskflowError, TaskflowError } from '../errors.js';
import { isSandboxRefusal, type TemplateRenderer } from '../templates/template-renderer.js';
import { buildServerEnvironment } from '../toolbox/build-server-environment.js';
import type { ResolvedToolbox } from '../toolbox/types.js';
import type { RunnerInfo } from './runner-info.js';
import type { EnvironmentMap } from './task-environment.js';

/** What a toolbox field does when one of its values cannot be rendered at start. */
export type UnrenderedValuePolicy = 'leave-out' | 'fail';

/**
 * The decision per field, taken from seclab-taskflow-agent's mcp_utils.py (the authority on
 * what a seclab toolbox file means). A value fails to render mostly because an `env('X')`
 * names an unset variable.
 * - `env`: mcp_client_params catches the error for stdio and launched streamable servers,
 *   deletes the key and starts the server, assuming its default configuration applies.
 * - `optional_headers`: _resolve_headers deletes the header.
 * - `headers`, `args`: swap_env's error is not caught, so the toolbox fails.
 * - `command`, `url`, `cwd`: seclab does not render them; we do, and fail like `args`.
 */
export const UNRENDERED_VALUE_POLICY = {
  env: 'leave-out',
  optional_headers: 'leave-out',
  headers: 'fail',
  args: 'fail',
  command: 'fail',
  url: 'fail',
  cwd: 'fail',
} as const satisfies Record<string, UnrenderedValuePolicy>;

type RenderedField = keyof typeof UNRENDERED_VALUE_POLICY;

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
  /**
   * Told about every `env` key or optional header left out (see UNRENDERED_VALUE_POLICY):
   * the toolbox, the key and why, never a value.
   */
  readonly onWarning?: (message: string) => void;
}

/**
 * Render a toolbox definition's templates (args, env, cwd, url, headers) into the final
 * values the toolbox layer starts. An `env` key or optional header whose value cannot be
 * rendered (an unset variable) is left out with a warning; an optional header that renders
 * empty is left out silently.
 *
 * @throws TaskflowError 'template' naming the toolbox and the field, for a value that cannot
 *   be rendered in a field whose policy is 'fail'
 */
export function resolveToolbox(
  definition: ToolboxDefinition,
  options: ResolveToolboxOptions,
): ResolvedToolbox {
  const params = definition.serverParams;
  const context = { ...options.context, runner: options.runner };
  /** The rendered value; undefined when it cannot be rendered and `field` leaves it out. */
  const render = (text: string, field: RenderedField, suffix = ''): string | undefined => {
    const fieldPath = `server_params.${field}${suffix}`;
    try {
      return options.renderer.render(text, context, { templateName: definition.filePath });
    } catch (error) {
      if (!isTaskflowError(error)) throw error;
      // A template reaching for JavaScript is an attack, not an unset value: never left out.
      if (UNRENDERED_VALUE_POLICY[field] === 'leave-out' && !isSandboxRefusal(error)) {
        options.onWarning?.(
          `toolbox "${definition.ref}" starts without ${fieldPath}: ${error.message}`,
        );
        return undefined;
      }
      throw new TaskflowError(
        'template',
        `toolbox "${definition.ref}" ${fieldPath}: ${error.message}`,
        {
          cause: error,
          filePath: definition.filePath,
          toolbox: definition.shortName,
        },
      );
    }
  };
  // For the fields whose policy is 'fail': render throws rather than leave them out.
  const required = (text: string, field: RenderedField, suffix = ''): string =>
    render(text, field, suffix) ?? '';
  const renderMap = (map: Readonly<Record<string, string>>, field: RenderedField) => {
    const result: Record<string, string> = {};
    for (const [key, value] of Object.entries(map)) {
      const rendered = render(value, field, `.${key}`);
      if (rendered !== undefined) result[key] = rendered;
    }
    return result;
  };
  const env = renderMap(params.env, 'env');
  const headers = renderMap(params.headers, 'headers');
  for (const [key, value] of Object.entries(
    renderMap(params.optionalHeaders, 'optional_headers'),
  )) {
    if (value.trim() !== '') headers[key] = value;
  }
  const cwd =
    params.cwd === undefined
      ? undefined
      : path.resolve(options.workingDirectory, required(params.cwd, 'cwd'));
  return {
    name: options.name,
    kind: params.kind,
    ...(params.command !== undefined && { command: required(params.command, 'command') }),
    args: params.args.map((arg, index) => required(arg, 'args', `[${index}]`)),
    ...(cwd !== undefined && { cwd }),
    env: buildServerEnvironment(options.taskEnvironment, env, options.denylist),
    ...(params.url !== undefined && { url: required(params.url, 'url') }),
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
