import type { Filetype } from './types.js';

/**
 * What seclab-taskflow-agent accepts beyond a strict reading of grammar.md, as data. Its
 * grammar is a set of pydantic models (`models.py`, lax mode) read by `available_tools.py`
 * and interpreted by `runner.py`; each row names the line it comes from (paths under
 * `src/seclab_taskflow_agent/` of the reference copy). The loader applies the rows in
 * `accept-seclab-forms.ts` (per file, before the shape check) and `effective-task.ts`
 * (per task, after `uses` is merged; the prompt flags through `prompt-personality.ts`).
 */

/** A file field seclab defaults when it is missing or null. */
export interface FileDefaultRule {
  readonly kind: 'file-default';
  readonly filetype: Filetype;
  readonly field: string;
  readonly value: readonly never[] | string;
  readonly source: string;
}

/** A task field whose seclab default means "not given": writing it is like leaving it out
 *  (also for `uses`, whose merge drops defaults: runner.py:110-112 `exclude_defaults`). */
export interface TaskUnsetRule {
  readonly kind: 'task-unset';
  readonly field: string;
  readonly value: 0 | '' | readonly never[];
  readonly source: string;
}

/** A field pydantic reads in lax mode: `"yes"`, `"1"` and the like become booleans/numbers. */
export interface LaxScalarRule {
  readonly kind: 'lax-scalar';
  readonly filetype: Filetype;
  /** Field path; `*` matches every item of a list. */
  readonly path: readonly string[];
  readonly type: 'bool' | 'int' | 'float';
  readonly source: string;
}

/** A task field a shell task ("run") ignores: seclab's runner returns after the script. */
export interface ShellIgnoredRule {
  readonly kind: 'shell-ignores';
  readonly field: string;
  readonly source: string;
}

/** YAML as PyYAML's `safe_load` reads it, where it differs from a strict YAML 1.2 parser. */
export interface YamlRule {
  readonly kind: 'yaml';
  readonly feature: 'duplicate-keys' | 'merge-keys';
  readonly effect: string;
  readonly source: string;
}

/**
 * A flag of seclab's legacy prompt parser, read at the start of the prompt of a task
 * without `agents` (runner.py:606-610 runs prompt_parser.parse_prompt_args on each prompt).
 */
export interface PromptFlagRule {
  readonly kind: 'prompt-flag';
  /** The option strings, short one first (`-g`, `--global`). */
  readonly flags: readonly string[];
  /** Takes one value: the next word, or glued to the flag (`-pname`, `-p=name`). */
  readonly takesValue: boolean;
  /** What it means for the task: its personality; a flag of the group `-p` belongs to (so
   *  no personality); a global that the runner drops (the value must still be KEY=VALUE). */
  readonly effect: 'personality' | 'excludes-personality' | 'dropped-global';
  readonly source: string;
}

export type AcceptanceRule =
  FileDefaultRule | TaskUnsetRule | LaxScalarRule | ShellIgnoredRule | YamlRule | PromptFlagRule;

const TASK = ['taskflow', '*', 'task'] as const;
const LAX = 'models.py:30 (pydantic BaseModel, lax mode)';
const SHELL = 'runner.py:588-598 (run_prompts returns after shell_tool_call)';

export const SECLAB_ACCEPTANCE: readonly AcceptanceRule[] = [
  {
    kind: 'file-default',
    filetype: 'taskflow',
    field: 'taskflow',
    value: [],
    source: 'models.py:145-152 (default [], None coerced to [])',
  },
  {
    kind: 'file-default',
    filetype: 'personality',
    field: 'personality',
    value: '',
    source: 'models.py:161 (personality: str = "")',
  },
  {
    kind: 'file-default',
    filetype: 'prompt',
    field: 'prompt',
    value: '',
    source: 'models.py:215 (prompt: str = "")',
  },
  {
    kind: 'task-unset',
    field: 'max_steps',
    value: 0,
    source: 'models.py:99; runner.py:561 (task.max_steps or DEFAULT_MAX_TURNS)',
  },
  {
    kind: 'task-unset',
    field: 'toolboxes',
    value: [],
    source: "runner.py:562, 286-292 (an empty list uses the personalities' toolboxes)",
  },
  { kind: 'task-unset', field: 'model', value: '', source: 'runner.py:132 (task.model or ...)' },
  { kind: 'task-unset', field: 'uses', value: '', source: 'runner.py:543 (if task.uses)' },
  { kind: 'task-unset', field: 'run', value: '', source: 'runner.py:555, 589 (if run)' },
  { kind: 'task-unset', field: 'user_prompt', value: '', source: 'runner.py:557-558' },
  { kind: 'task-unset', field: 'name', value: '', source: 'runner.py:670 (task.name or ...)' },
  ...(['must_complete', 'headless', 'repeat_prompt', 'exclude_from_context', 'async'] as const).map(
    (field): LaxScalarRule => ({
      kind: 'lax-scalar',
      filetype: 'taskflow',
      path: [...TASK, field],
      type: 'bool',
      source: `models.py:91-103; ${LAX}`,
    }),
  ),
  ...(['max_steps', 'async_limit'] as const).map((field): LaxScalarRule => ({
    kind: 'lax-scalar',
    filetype: 'taskflow',
    path: [...TASK, field],
    type: 'int',
    source: `models.py:99, 104; ${LAX}`,
  })),
  {
    kind: 'lax-scalar',
    filetype: 'toolbox',
    path: ['server_params', 'reconnecting'],
    type: 'bool',
    source: `models.py:179; ${LAX}`,
  },
  {
    kind: 'lax-scalar',
    filetype: 'toolbox',
    path: ['server_params', 'timeout'],
    type: 'float',
    source: `models.py:178; ${LAX}`,
  },
  {
    kind: 'lax-scalar',
    filetype: 'toolbox',
    path: ['client_session_timeout'],
    type: 'float',
    source: `models.py:191; ${LAX}`,
  },
  ...(
    [
      'agents',
      'model',
      'model_settings',
      'toolboxes',
      'blocked_tools',
      'headless',
      'max_steps',
      'exclude_from_context',
      'repeat_prompt',
      'async',
      'async_limit',
    ] as const
  ).map((field): ShellIgnoredRule => ({ kind: 'shell-ignores', field, source: SHELL })),
  {
    kind: 'yaml',
    feature: 'duplicate-keys',
    effect: 'the last value wins (a warning; an error with --strict)',
    source: 'available_tools.py:125 (yaml.safe_load keeps the last value)',
  },
  {
    kind: 'yaml',
    feature: 'merge-keys',
    effect: '`<<: *anchor` merges the anchored mapping',
    source: 'available_tools.py:125 (yaml.safe_load resolves merge keys)',
  },
  {
    kind: 'prompt-flag',
    flags: ['-p'],
    takesValue: true,
    effect: 'personality',
    source: 'prompt_parser.py:34, 60 (stripped); runner.py:606-610 (the agent of the prompt)',
  },
  {
    kind: 'prompt-flag',
    flags: ['-t'],
    takesValue: true,
    effect: 'excludes-personality',
    source: 'prompt_parser.py:33-35, 53-56 (mutually exclusive with -p)',
  },
  {
    kind: 'prompt-flag',
    flags: ['-l'],
    takesValue: false,
    effect: 'excludes-personality',
    source: 'prompt_parser.py:33, 36, 53-56 (mutually exclusive with -p)',
  },
  {
    kind: 'prompt-flag',
    flags: ['-g', '--global'],
    takesValue: true,
    effect: 'dropped-global',
    source: 'prompt_parser.py:37-44, 65-69 (KEY=VALUE or nothing); runner.py:608 (dropped)',
  },
];

/** The rows of one kind. */
export function acceptanceRules<K extends AcceptanceRule['kind']>(
  kind: K,
): Extract<AcceptanceRule, { kind: K }>[] {
  return SECLAB_ACCEPTANCE.filter(
    (rule): rule is Extract<AcceptanceRule, { kind: K }> => rule.kind === kind,
  );
}
