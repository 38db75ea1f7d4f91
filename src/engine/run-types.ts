import type { Approver } from '../agent/types.js';
import type { LoadedTaskflow } from '../definitions/load-taskflow.js';
import type { TaskDefinition } from '../definitions/types.js';
import type { EventSink, TaskStatus } from '../events.js';
import type { Logger } from '../logger.js';
import type { ModelClient, Usage } from '../model/types.js';
import type { ModelTarget } from '../model/resolve-model.js';
import type { Redactor } from '../redactor.js';
import type { ResilienceOverrides } from '../resilience/resilience-settings.js';
import type { DeferredBranches, FanOutExecutor } from './branch-executor.js';
import type { PythonModuleChecks } from './check-python-server-module.js';
import type { ResultSource } from './expand-items.js';
import type { ResilienceRuntime } from './model-caller.js';
import type { RunRecorder } from './run-recorder.js';
import type { RunnerInfo } from './runner-info.js';
import type { EnvironmentMap } from './task-environment.js';

/** Everything a run needs from outside; built by the CLI. */
export interface RunDependencies {
  readonly loaded: LoadedTaskflow;
  readonly environment: EnvironmentMap;
  readonly workingDirectory: string;
  readonly runner: RunnerInfo;
  readonly onEvent: EventSink;
  readonly logger: Logger;
  readonly redactor: Redactor;
  readonly signal: AbortSignal;
  /** `--headless`: approve confirm tools for every task. */
  readonly headless: boolean;
  readonly approve?: Approver;
  /** Makes the client for a model target (injectable for tests). */
  readonly createClient: (target: ModelTarget) => ModelClient;
  /** Resolves a model name for a task (model config lookup, endpoint, token). */
  readonly resolveModel: (
    name: string,
    taskSettings: Readonly<Record<string, unknown>>,
  ) => ModelTarget;
  readonly defaultModel: string;
  /** Gates, breakers, clock: shared by every model request of the run. */
  readonly resilience: ResilienceRuntime;
  /** `model_settings.<model>.resilience` of a target, parsed (throws 'config' when invalid). */
  readonly resilienceOverrides?: (target: ModelTarget) => ResilienceOverrides | undefined;
  /** Checkpoints finished work and restores it on resume; absent for `ask`. */
  readonly recorder?: RunRecorder;
  /** Where fan-out branches run (a shard's share, none for a plan); default: all here. */
  readonly branchExecutor?: FanOutExecutor;
}

/** A task's result as later tasks see it. */
export interface TaskResult {
  /** The decoded value (`outputs.<id>`, JSON when it parses, else the text). */
  readonly value: unknown;
  /** The raw result the value was decoded from (a tool result, an answer, stdout). */
  readonly source: ResultSource;
}

/** State that flows from task to task. */
export interface RunState {
  readonly globals: Readonly<Record<string, unknown>>;
  readonly outputs: Record<string, unknown>;
  /**
   * seclab's result stack: every MCP tool result of the run and every shell task's stdout,
   * oldest first. repeat_prompt without `over` iterates the top and consumes it.
   */
  readonly toolResultStack: ResultSource[];
  /** Python server modules checked so far, so tasks starting the same server check it once. */
  readonly pythonModuleChecks: PythonModuleChecks;
  usage: Usage;
}

export interface TaskOutcome {
  readonly status: TaskStatus;
  readonly result?: TaskResult;
  readonly error?: Error;
  readonly usage: Usage;
  readonly durationMs: number;
  /**
   * Set when the task is a fan-out some of whose branches were left to other processes:
   * it did not finish, and `status` says how the branches run here went.
   */
  readonly deferred?: DeferredBranches;
}

/** One unit of fan-out: an item (for repeat_prompt) times a model (for `models`). */
export interface Branch {
  readonly index: number;
  readonly itemIndex: number;
  readonly hasItem: boolean;
  readonly item?: unknown;
  readonly modelName: string;
  readonly modelSettings: Readonly<Record<string, unknown>>;
}

export interface TaskRun {
  readonly task: TaskDefinition;
  readonly state: RunState;
}
