import type { DefinitionIssue } from './issues.js';
import { DEFAULT_ASYNC_LIMIT, DEFAULT_MAX_STEPS, TASK_FIELD_NAMES } from './normalize-taskflow.js';
import { promptPersonality } from './prompt-personality.js';
import type { RawTask } from './schemas/taskflow-schema.js';
import { acceptanceRules } from './seclab-acceptance.js';
import type { SourcePosition, TaskDefinition, TaskField } from './types.js';

/** What a task field is when it was not written; fields not listed are left out. */
const NOT_GIVEN: Partial<Record<TaskField, unknown>> = {
  agents: [],
  modelSettings: {},
  blockedTools: [],
  headless: false,
  maxSteps: DEFAULT_MAX_STEPS,
  excludeFromContext: false,
  repeatPrompt: false,
  async: false,
  asyncLimit: DEFAULT_ASYNC_LIMIT,
};

/** Report a problem of the effective task; `field` undefined = the task as a whole; `at`,
 *  a position inside the field's value (a word of the prompt). */
export type ReportTaskIssue = (
  field: TaskField | undefined,
  severity: DefinitionIssue['severity'],
  kind: string,
  message: string,
  at?: SourcePosition,
) => void;

export interface EffectiveTaskOptions {
  /** A prompt task without agents: an error, or (when validating a single-task taskflow,
   *  which may be a fragment another task `uses`) a warning. */
  readonly agentless: DefinitionIssue['severity'];
  readonly report: ReportTaskIssue;
}

/**
 * The task as it runs, checked after `uses` was merged (seclab merges first and checks
 * after: runner.py:104-113). A shell task drops the agent fields seclab ignores, with a
 * warning each; a task with agents but no prompt runs them on an empty prompt, as seclab
 * does (models.py:87 `user_prompt: str = ""`). A prompt task without agents may name its
 * personality in the prompt, `-p name rest` (runner.py:606-610): the task runs that
 * personality on the rest. What a task lacks is reported here.
 */
export function effectiveTask(task: TaskDefinition, options: EffectiveTaskOptions): TaskDefinition {
  const { report } = options;
  if (task.run !== undefined) {
    const ignored = acceptanceRules('shell-ignores')
      .map((rule) => TASK_FIELD_NAMES[rule.field as keyof RawTask])
      .filter((field) => task.explicit.has(field));
    for (const field of ignored) {
      report(field, 'warning', 'ignored-field', `a shell task ("run") ignores "${rawName(field)}"`);
    }
    return ignored.length === 0 ? task : withoutFields(task, ignored);
  }
  if (task.over !== undefined && !task.repeatPrompt)
    report('over', 'error', 'rule', '"over" needs "repeat_prompt: true"');
  const hasAgents = task.agents.length > 0;
  if (task.userPrompt === undefined) {
    if (!hasAgents) {
      report(undefined, 'error', 'rule', 'a task needs "agents" with a "user_prompt", or "run"');
      return task;
    }
    report(
      undefined,
      'warning',
      'empty-prompt',
      'the task has no "user_prompt": its agents run on an empty prompt',
    );
    return Object.freeze({
      ...task,
      userPrompt: Object.freeze({ text: '', position: task.position, block: false }),
    });
  }
  if (!hasAgents) {
    const fromPrompt = promptPersonality(task.userPrompt);
    if (fromPrompt.kind === 'personality') {
      for (const note of fromPrompt.ignored)
        report('userPrompt', 'warning', 'ignored-flag', note.message, note.position);
      return Object.freeze({
        ...task,
        agents: Object.freeze([fromPrompt.reference]),
        userPrompt: fromPrompt.prompt,
      });
    }
    if (fromPrompt.kind === 'invalid') {
      const { message, position } = fromPrompt.problem;
      report('userPrompt', options.agentless, 'prompt-flags', message, position);
      return task;
    }
    const fragment =
      options.agentless === 'warning'
        ? ': it runs only when another task uses it ("uses") and names them'
        : '';
    report(
      'agents',
      options.agentless,
      'no-agents',
      `a prompt task needs at least one personality in "agents"${fragment}`,
    );
  }
  return task;
}

const RAW_NAMES = new Map<TaskField, string>(
  Object.entries(TASK_FIELD_NAMES).map(([raw, field]) => [field, raw]),
);

/** The field's name as written in a file (`max_steps` for `maxSteps`). */
export function rawName(field: TaskField): string {
  return RAW_NAMES.get(field) ?? field;
}

function withoutFields(task: TaskDefinition, fields: readonly TaskField[]): TaskDefinition {
  const copy: Record<string, unknown> = { ...task };
  for (const field of fields) {
    if (field in NOT_GIVEN) copy[field] = NOT_GIVEN[field];
    else delete copy[field];
  }
  copy.explicit = new Set([...task.explicit].filter((field) => !fields.includes(field)));
  return Object.freeze(copy) as unknown as TaskDefinition;
}
