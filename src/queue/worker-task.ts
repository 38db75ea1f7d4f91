import type { LoadedTaskflow } from '../definitions/load-taskflow.js';
import type { TaskDefinition } from '../definitions/types.js';
import type { ResultSource } from '../engine/expand-items.js';
import {
  runBranch,
  templateContext,
  type BranchOutcome,
  type PromptTaskContext,
} from '../engine/run-branch.js';
import { branchLimit, startTaskAgents, type TaskAgents } from '../engine/run-prompt-task.js';
import type { RunRecorder } from '../engine/run-recorder.js';
import { rendererFor } from '../engine/run-task.js';
import type { Branch, RunDependencies, RunState } from '../engine/run-types.js';
import { buildTaskEnvironment, type EnvironmentMap } from '../engine/task-environment.js';
import { TaskflowError } from '../errors.js';
import { ZERO_USAGE } from '../model/types.js';
import { createRequestCounters } from '../resilience/request-policy.js';
import type { TemplateRenderer } from '../templates/template-renderer.js';
import type { FanOutContext } from './fan-out-context.js';

/**
 * One fan-out task of one session as a worker runs it: the task's toolboxes started once
 * and shared by every branch of it this worker runs (closed when the worker has run none of
 * them for a while, or stops), its templates rendered as the coordinator's engine would.
 */
export class WorkerTask {
  readonly task: TaskDefinition;
  readonly #deps: RunDependencies;
  readonly #state: RunState;
  readonly #taskEnvironment: EnvironmentMap;
  readonly #renderer: TemplateRenderer;
  readonly #counters = createRequestCounters();
  readonly #repairs = { used: 0 };
  #agents: Promise<TaskAgents> | undefined;
  #active = 0;

  constructor(loaded: LoadedTaskflow, context: FanOutContext, deps: RunDependencies) {
    const task = loaded.tasks[context.taskIndex];
    if (!task || task.name !== context.taskName) {
      throw new TaskflowError(
        'config',
        `the taskflow here has no task ${context.taskIndex + 1} "${context.taskName}"`,
      );
    }
    this.task = task;
    this.#deps = deps;
    this.#state = {
      globals: context.globals,
      outputs: { ...context.outputs },
      toolResultStack: [],
      pythonModuleChecks: new Map(),
      usage: ZERO_USAGE,
    };
    const parent = rendererFor(deps.environment, deps);
    this.#taskEnvironment = buildTaskEnvironment(
      deps.environment,
      task.env,
      parent,
      templateContext(task, this.#state),
    );
    this.#renderer = rendererFor(this.#taskEnvironment, deps);
  }

  /** Branches of this task running here now. */
  get active(): number {
    return this.#active;
  }

  /**
   * Runs one branch with `recorder` (its records go to the coordinator) and records its
   * end, as the engine does for a branch run in its own process.
   */
  async runBranch(
    branch: Branch,
    recorder: RunRecorder,
    signal: AbortSignal,
  ): Promise<BranchOutcome> {
    this.#active++;
    try {
      this.#agents ??= startTaskAgents(this.task, this.#state, this.#deps, {
        renderer: this.#renderer,
        taskEnvironment: this.#taskEnvironment,
        signal: this.#deps.signal,
      });
      const agents = await this.#agents;
      // The coordinator rebuilds the branch's results from its records; none are kept here.
      const toolResults: ResultSource[][] = [];
      toolResults[branch.index] = [];
      const context: PromptTaskContext = {
        task: this.task,
        state: this.#state,
        deps: { ...this.#deps, recorder },
        renderer: this.#renderer,
        personas: agents.personas,
        repairs: this.#repairs,
        signal,
        headless: this.#deps.headless || this.task.headless,
        counters: this.#counters,
        concurrencyLimit: branchLimit(this.task),
        toolResults,
      };
      return await runBranch(context, branch);
    } finally {
      this.#active--;
    }
  }

  /** Stops the task's toolboxes (none are running when no branch ever started). */
  async close(): Promise<void> {
    const agents = this.#agents;
    this.#agents = undefined;
    if (agents) await (await agents.catch(() => undefined))?.close();
  }
}
