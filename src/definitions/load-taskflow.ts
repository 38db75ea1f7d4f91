import type { DefinitionLoader, ReferenceSite } from './definition-loader.js';
import { checkGlobals } from './check-globals.js';
import { effectiveTask, rawName, type ReportTaskIssue } from './effective-task.js';
import { taskConflicts } from './file-rules.js';
import { mergeUsedTask, TASK_FIELD_NAMES } from './normalize-taskflow.js';
import { promptPersonality } from './prompt-personality.js';
import type { RawTask } from './schemas/taskflow-schema.js';
import { templatePosition } from './template-positions.js';
import type {
  Definition,
  ModelConfigDefinition,
  PersonalityDefinition,
  PromptDefinition,
  TaskDefinition,
  TaskflowDefinition,
  TemplateText,
  ToolboxDefinition,
} from './types.js';
import { DefinitionError } from './issues.js';

/** A taskflow with everything it references loaded and every `uses` merged. */
export interface LoadedTaskflow {
  readonly taskflow: TaskflowDefinition;
  /** Effective tasks (after `uses`), in order. */
  readonly tasks: readonly TaskDefinition[];
  readonly modelConfig?: ModelConfigDefinition;
  readonly personalities: ReadonlyMap<string, PersonalityDefinition>;
  readonly toolboxes: ReadonlyMap<string, ToolboxDefinition>;
  readonly prompts: ReadonlyMap<string, PromptDefinition>;
  /** Absolute path -> SHA-256 of every file loaded. */
  readonly files: ReadonlyMap<string, string>;
}

export interface LoadTaskflowOptions {
  /** `-m`: use this model config instead of the taskflow's. */
  readonly modelConfigOverride?: string;
  /** How to report the prompt task without agents of a single-task taskflow: `validate`
   *  warns (the file may be a fragment that a task `uses` and gives agents); running it is
   *  an error (the default). */
  readonly agentlessFragment?: 'error' | 'warning';
  /** Keys given with `-g`: a key the taskflow neither declares nor reads is a warning. */
  readonly globalFlags?: readonly string[];
  /** Globals that exist at run time besides the declared ones (a resumed session's). */
  readonly providedGlobals?: readonly string[];
}

const REVERSE_FIELDS = Object.fromEntries(
  Object.entries(TASK_FIELD_NAMES).map(([raw, field]) => [field, raw]),
);

/** Collects the cross-file checks of one load. */
class ReferenceChecker {
  readonly personalities = new Map<string, PersonalityDefinition>();
  readonly toolboxes = new Map<string, ToolboxDefinition>();
  readonly prompts = new Map<string, PromptDefinition>();
  private readonly checkedPrompts = new Set<string>();

  constructor(private readonly loader: DefinitionLoader) {}

  site(
    filePath: string,
    position: { line: number; column: number },
    fieldPath: string,
  ): ReferenceSite {
    return { filePath, line: position.line, column: position.column, fieldPath };
  }

  personality(reference: string, site: ReferenceSite): PersonalityDefinition | undefined {
    const personality = this.loader.load(reference, 'personality', site);
    if (!personality) return undefined;
    this.personalities.set(reference, personality);
    personality.toolboxes.forEach((toolbox, index) => {
      this.toolbox(toolbox, this.siteIn(personality, ['toolboxes', index]));
    });
    return personality;
  }

  toolbox(reference: string, site: ReferenceSite): void {
    const toolbox = this.loader.load(reference, 'toolbox', site);
    if (toolbox) this.toolboxes.set(reference, toolbox);
  }

  /** Every `{% include %}` of a template resolves to a prompt (recursively). */
  includes(template: TemplateText, fieldPath: string): void {
    for (const name of this.loader.options.templates.listIncludes(template.text)) {
      const line = template.text.split('\n').findIndex((text) => text.includes(name));
      const position = templatePosition(template, Math.max(1, line + 1), 1);
      const prompt = this.loader.load(
        name,
        'prompt',
        this.site(position.filePath, position, fieldPath),
      );
      if (!prompt) continue;
      this.prompts.set(name, prompt);
      if (this.checkedPrompts.has(prompt.filePath)) continue;
      this.checkedPrompts.add(prompt.filePath);
      const nested: TemplateText = {
        text: prompt.prompt,
        position: { filePath: prompt.filePath, line: 1, column: 1 },
        block: false,
      };
      this.includes(nested, 'prompt');
    }
  }

  /** A site inside another definition file (re-parsed lazily only for positions); with
   *  `key`, the position of the field's key rather than of its value. */
  siteIn(
    definition: Definition,
    fieldPath: (string | number)[],
    options: { key?: boolean } = {},
  ): ReferenceSite {
    const position = this.loader.positionIn(definition.filePath, fieldPath, options);
    const text = fieldPath
      .map((part) => (typeof part === 'number' ? `[${part}]` : `.${part}`))
      .join('')
      .replace(/^\./, '');
    return { filePath: definition.filePath, ...position, fieldPath: text };
  }
}

/**
 * Load a taskflow and everything it references, checking the rules across files.
 * Throws DefinitionError with every issue when anything is wrong (warnings alone do not
 * throw; they stay in `loader.issues`). With `strict`, warnings are errors.
 */
export function loadTaskflow(
  loader: DefinitionLoader,
  reference: string,
  options: LoadTaskflowOptions & { strict?: boolean } = {},
): LoadedTaskflow {
  const result = checkTaskflowReferences(loader, reference, options);
  throwIfInvalid(loader, options.strict ?? false);
  if (!result) throw new DefinitionError(loader.issues.issues, loader.workingDirectory);
  return result;
}

/** Throw DefinitionError when the loader collected errors (or warnings, when strict). */
export function throwIfInvalid(loader: DefinitionLoader, strict: boolean): void {
  const failing = strict ? loader.issues.issues : loader.issues.errors;
  if (failing.length === 0) return;
  const issues = strict
    ? loader.issues.issues.map((issue) => ({ ...issue, severity: 'error' as const }))
    : loader.issues.issues;
  throw new DefinitionError(issues, loader.workingDirectory);
}

/** The cross-file part of loading; returns undefined when the taskflow itself failed. */
export function checkTaskflowReferences(
  loader: DefinitionLoader,
  reference: string,
  options: LoadTaskflowOptions = {},
): LoadedTaskflow | undefined {
  const taskflow = loader.load(reference, 'taskflow');
  if (!taskflow) return undefined;
  const checker = new ReferenceChecker(loader);
  const modelConfigReference = options.modelConfigOverride ?? taskflow.modelConfig;
  const modelConfig = modelConfigReference
    ? options.modelConfigOverride
      ? loader.load(modelConfigReference, 'model_config')
      : loader.load(
          modelConfigReference,
          'model_config',
          checker.siteIn(taskflow, ['model_config']),
        )
    : undefined;
  const tasks: TaskDefinition[] = [];
  const agentless =
    taskflow.tasks.length === 1 ? (options.agentlessFragment ?? 'error') : ('error' as const);
  const pairs: { written: TaskDefinition; effective: TaskDefinition }[] = [];
  for (const task of taskflow.tasks) {
    const merged = resolveUses(loader, checker, taskflow, task, new Set([taskflow.filePath]));
    if (!merged) continue;
    const effective = effectiveTask(merged, {
      agentless,
      report: reportTaskIssue(loader, checker, taskflow, task),
    });
    tasks.push(effective);
    pairs.push({ written: task, effective });
    checkTaskReferences(checker, taskflow, task, effective, modelConfig, loader, {
      personalityInPrompt: personalityInPrompt(merged, effective, task),
    });
  }
  checkGlobals(loader, {
    taskflow,
    tasks: pairs,
    prompts: checker.prompts.values(),
    toolboxes: checker.toolboxes.values(),
    globalFlags: options.globalFlags ?? [],
    providedGlobals: options.providedGlobals ?? [],
    // Like a prompt task without agents: a lone one-task file may be a fragment.
    severity: agentless,
  });
  return {
    taskflow,
    tasks,
    ...(modelConfig && { modelConfig }),
    personalities: checker.personalities,
    toolboxes: checker.toolboxes,
    prompts: checker.prompts,
    files: loader.files,
  };
}

/** Where an issue of the effective task is reported: at the field of the written task,
 *  at the task itself when the field is missing, at `uses` when the field came from there. */
function reportTaskIssue(
  loader: DefinitionLoader,
  checker: ReferenceChecker,
  taskflow: TaskflowDefinition,
  written: TaskDefinition,
): ReportTaskIssue {
  const taskPath = ['taskflow', written.index, 'task'];
  return (field, severity, kind, message, at) => {
    const writtenHere = field !== undefined && written.explicit.has(field);
    if (written.uses !== undefined && !writtenHere) {
      const site = checker.siteIn(taskflow, [...taskPath, 'uses']);
      loader.issues.add({
        severity,
        kind,
        ...site,
        message: `after merging "${written.uses}": ${message}`,
      });
      return;
    }
    const site =
      writtenHere && at
        ? { ...at, fieldPath: `taskflow[${written.index}].task.${rawName(field)}` }
        : writtenHere
          ? checker.siteIn(taskflow, [...taskPath, rawName(field)])
          : checker.siteIn(taskflow, taskPath, { key: true });
    loader.issues.add({ severity, kind, ...site, message });
  };
}

/**
 * Where the personality of a task without agents is named, when its prompt names it
 * (`-p name ...`): that word of the prompt written in this task; undefined when the task
 * has agents, or its prompt comes from `uses` (reported at `uses`, like its other fields).
 */
function personalityInPrompt(
  merged: TaskDefinition,
  effective: TaskDefinition,
  written: TaskDefinition,
): ReferenceSite | undefined {
  if (merged.agents.length > 0 || effective.agents.length === 0 || !merged.userPrompt)
    return undefined;
  if (!written.explicit.has('userPrompt')) return undefined;
  const found = promptPersonality(merged.userPrompt);
  if (found.kind !== 'personality') return undefined;
  return { ...found.position, fieldPath: `taskflow[${written.index}].task.user_prompt` };
}

function resolveUses(
  loader: DefinitionLoader,
  checker: ReferenceChecker,
  owner: TaskflowDefinition,
  task: TaskDefinition,
  visiting: Set<string>,
): TaskDefinition | undefined {
  if (task.uses === undefined) return task;
  const site = checker.siteIn(owner, ['taskflow', task.index, 'task', 'uses']);
  const base = loader.load(task.uses, 'taskflow', site);
  if (!base) return undefined;
  const report = (message: string) =>
    loader.issues.add({ severity: 'error', kind: 'uses', ...site, message });
  if (base.tasks.length !== 1) {
    report(
      `"uses" needs a taskflow with exactly one task; "${task.uses}" has ${base.tasks.length}`,
    );
    return undefined;
  }
  if (visiting.has(base.filePath)) {
    report(`"uses" forms a cycle through "${task.uses}"`);
    return undefined;
  }
  const baseTask = resolveUses(
    loader,
    checker,
    base,
    base.tasks[0] as TaskDefinition,
    new Set([...visiting, base.filePath]),
  );
  if (!baseTask) return undefined;
  const merged = mergeUsedTask(task, baseTask);
  const asRaw: Partial<Record<keyof RawTask, unknown>> = {};
  for (const field of merged.explicit) {
    const rawName = REVERSE_FIELDS[field] as keyof RawTask | undefined;
    const value = merged[field as keyof TaskDefinition];
    if (rawName)
      asRaw[rawName] = field === 'userPrompt' ? (value as TemplateText | undefined)?.text : value;
  }
  for (const problem of taskConflicts(asRaw))
    report(`after merging "${task.uses}": ${problem.message}`);
  return merged;
}

function checkTaskReferences(
  checker: ReferenceChecker,
  taskflow: TaskflowDefinition,
  written: TaskDefinition,
  task: TaskDefinition,
  modelConfig: ModelConfigDefinition | undefined,
  loader: DefinitionLoader,
  sites: { personalityInPrompt?: ReferenceSite | undefined } = {},
): void {
  const at = (...rest: (string | number)[]) =>
    written.uses !== undefined &&
    !written.explicit.has(REVERSE_FIELD_KEYS[rest[0] as string] ?? 'uses')
      ? checker.siteIn(taskflow, ['taskflow', written.index, 'task', 'uses'])
      : checker.siteIn(taskflow, ['taskflow', written.index, 'task', ...rest]);
  task.agents.forEach((agent, index) =>
    checker.personality(agent, sites.personalityInPrompt ?? at('agents', index)),
  );
  task.toolboxes?.forEach((toolbox, index) => checker.toolbox(toolbox, at('toolboxes', index)));
  if (task.userPrompt)
    checker.includes(task.userPrompt, `taskflow[${written.index}].task.user_prompt`);
  const modelNames = task.models
    ? task.models.map((choice) => choice.model)
    : task.model
      ? [task.model]
      : [];
  if (modelConfig) {
    modelNames.forEach((name, index) => {
      if (name in modelConfig.models) return;
      const site = task.models ? at('models', index) : at('model');
      loader.issues.add({
        severity: 'warning',
        kind: 'unknown-model',
        ...site,
        message: `model "${name}" is not in model config "${modelConfig.ref}" (${Object.keys(modelConfig.models).join(', ') || 'no models'}); it is sent as a literal model id`,
      });
    });
  }
}

const REVERSE_FIELD_KEYS: Record<
  string,
  TaskDefinition['explicit'] extends ReadonlySet<infer F> ? F : never
> = {
  agents: 'agents',
  toolboxes: 'toolboxes',
  model: 'model',
  models: 'models',
};
