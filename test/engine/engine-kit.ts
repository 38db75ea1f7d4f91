import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefinitionLoader } from '../../src/definitions/definition-loader.js';
import { loadTaskflow, type LoadedTaskflow } from '../../src/definitions/load-taskflow.js';
import { runTaskflow, type RunResult } from '../../src/engine/run-taskflow.js';
import type { RunDependencies } from '../../src/engine/run-types.js';
import type { TaskflowEvent } from '../../src/events.js';
import { createLogger } from '../../src/logger.js';
import { createResilienceRuntime } from '../../src/engine/model-caller.js';
import { createModelClient } from '../../src/model/create-model-client.js';
import { resolveModelTarget } from '../../src/model/resolve-model.js';
import { Redactor } from '../../src/redactor.js';
import { createTemplateRenderer } from '../../src/templates/template-renderer.js';
import {
  lastUserText,
  toolResultsOf,
  type FakeReply,
  type RecordedRequest,
} from '../fakes/fake-model-server.js';

/** Engine tests: taskflows written to a scratch folder, loaded and run in-process. */

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The header every definition file starts with. */
export function header(filetype: string): string {
  return `seclab-taskflow-agent:\n  version: "1.0"\n  filetype: ${filetype}\n`;
}

const scratchFolders: string[] = [];

/** A scratch working directory holding `files` (relative path -> YAML text). */
export function scratchFolder(files: Readonly<Record<string, string>> = {}): string {
  const directory = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-engine-')));
  scratchFolders.push(directory);
  for (const [relative, text] of Object.entries(files)) {
    const file = path.join(directory, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  return directory;
}

/** Remove every scratch folder made so far (call from afterAll). */
export function removeScratchFolders(): void {
  for (const directory of scratchFolders.splice(0))
    fs.rmSync(directory, { recursive: true, force: true });
}

/** Load a taskflow from `workingDirectory` the way the CLI does (bundle = repo root). */
export function load(workingDirectory: string, reference: string): LoadedTaskflow {
  const templates = createTemplateRenderer({
    environment: {},
    resolvePrompt: (name) => {
      throw new Error(`no prompt resolution while loading (${name})`);
    },
  });
  const loader = new DefinitionLoader({
    roots: { searchPaths: [], workingDirectory, bundleRoot: REPO_ROOT },
    templates,
  });
  return loadTaskflow(loader, reference);
}

export interface EngineRun {
  readonly result: RunResult;
  readonly events: TaskflowEvent[];
}

export interface EngineRunOptions {
  /** Base URL of the (fake) model endpoint. */
  readonly endpoint: string;
  readonly environment?: Readonly<Record<string, string | undefined>>;
  readonly globals?: Readonly<Record<string, unknown>>;
  readonly signal?: AbortSignal;
  /** The run's redactor (to inspect which secrets it learned); a fresh one by default. */
  readonly redactor?: Redactor;
}

/**
 * Run a loaded taskflow in-process with real model clients against `endpoint`, the real
 * bundled MCP servers (from dist/) and a private environment object.
 */
export async function runLoaded(
  loaded: LoadedTaskflow,
  workingDirectory: string,
  options: EngineRunOptions,
): Promise<EngineRun> {
  const events: TaskflowEvent[] = [];
  const environment = {
    PATH: process.env.PATH,
    HOME: workingDirectory,
    TMPDIR: os.tmpdir(),
    AI_API_ENDPOINT: options.endpoint,
    AI_API_TOKEN: 'engine-test-token',
    // The bundled echo toolbox serves taskflow's diagnostic echo (echo, echo_env, sleep,
    // counter) instead of seclab's echo_tool when this is set; engine tests drive those tools.
    TASKFLOW_ECHO_DIAGNOSTICS: '1',
    ...options.environment,
  };
  const redactor = options.redactor ?? new Redactor();
  const logger = createLogger({ redactor });
  const deps: RunDependencies = {
    loaded,
    environment,
    workingDirectory,
    runner: { node: process.execPath, root: REPO_ROOT },
    onEvent: (event) => events.push(event),
    logger,
    redactor,
    signal: options.signal ?? new AbortController().signal,
    headless: false,
    resilience: createResilienceRuntime(),
    createClient: (target) => createModelClient(target),
    resolveModel: (name, taskSettings) =>
      resolveModelTarget({
        name,
        ...(loaded.modelConfig && { modelConfig: loaded.modelConfig }),
        taskSettings,
        environment,
      }),
    defaultModel: 'fake-model',
  };
  try {
    const result = await runTaskflow(deps, options.globals ?? loaded.taskflow.globals);
    return { result, events };
  } finally {
    await logger.close();
  }
}

/** Events of one type, narrowed. */
export function eventsOf<T extends TaskflowEvent['type']>(
  events: readonly TaskflowEvent[],
  type: T,
): Extract<TaskflowEvent, { type: T }>[] {
  return events.filter(
    (event): event is Extract<TaskflowEvent, { type: T }> => event.type === type,
  );
}

/** task-end status per task index. */
export function taskStatuses(events: readonly TaskflowEvent[]): string[] {
  return eventsOf(events, 'task-end').map((event) => event.status);
}

/**
 * A fake model for engine tests: asked to echo a quoted text (and offered echo__echo), it
 * calls the tool once, then answers `echoed: <tool result>`; otherwise it answers `ok`.
 */
export function echoingModel(request: RecordedRequest): FakeReply {
  const results = toolResultsOf(request);
  const quoted = /"([^"]*)"/.exec(lastUserText(request) ?? '')?.[1];
  const tools = JSON.stringify(request.body.tools ?? []);
  if (results.length === 0 && quoted !== undefined && tools.includes('echo__echo'))
    return { kind: 'message', toolCalls: [{ name: 'echo__echo', arguments: { message: quoted } }] };
  const last = results[results.length - 1];
  return { kind: 'message', text: last ? `echoed: ${last.output}` : 'ok' };
}
