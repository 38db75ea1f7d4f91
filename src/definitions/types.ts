/**
 * Normalised, immutable definitions produced by the loader. Defaults of grammar.md are
 * applied; refs are kept as written (the loader resolves them and keys its maps by them).
 */

export const FILETYPES = ['taskflow', 'personality', 'toolbox', 'prompt', 'model_config'] as const;
export type Filetype = (typeof FILETYPES)[number];

/** Where a value came from, 1-based line and column. */
export interface SourcePosition {
  readonly filePath: string;
  readonly line: number;
  readonly column: number;
}

/** A template string together with where it was written (for error positions). */
export interface TemplateText {
  readonly text: string;
  /** Position of the first character of the template text in its file. For block scalars
   *  (`|`, `>`) the line after the indicator and the column of the block's indentation. */
  readonly position: SourcePosition;
  readonly block: boolean;
}

export interface DefinitionBase<K extends Filetype> {
  readonly kind: K;
  /** The reference used to load the file (dotted name or path as written). */
  readonly ref: string;
  /** Absolute, real path of the file. */
  readonly filePath: string;
  /** Short name: the file name without extension (`echo` for `toolboxes/echo.yaml`). */
  readonly shortName: string;
}

export type ApiType = 'chat_completions' | 'responses' | 'messages';
export type Capture = 'tool_result' | 'response';
export type Completion = 'all' | 'any';

export interface ModelChoice {
  readonly model: string;
  readonly modelSettings: Readonly<Record<string, unknown>>;
}

/** Fields of a task that can be given explicitly (used for `uses` override semantics). */
export type TaskField =
  | 'name'
  | 'description'
  | 'agents'
  | 'userPrompt'
  | 'run'
  | 'uses'
  | 'inputs'
  | 'model'
  | 'modelSettings'
  | 'toolboxes'
  | 'blockedTools'
  | 'headless'
  | 'mustComplete'
  | 'maxSteps'
  | 'excludeFromContext'
  | 'repeatPrompt'
  | 'async'
  | 'asyncLimit'
  | 'env'
  | 'id'
  | 'outputs'
  | 'if'
  | 'over'
  | 'capture'
  | 'models'
  | 'modelConcurrency'
  | 'completion'
  | 'timeoutMs';

export interface TaskDefinition {
  /** 0-based position in the taskflow. */
  readonly index: number;
  readonly name: string;
  readonly description?: string;
  readonly agents: readonly string[];
  readonly userPrompt?: TemplateText;
  readonly run?: string;
  readonly uses?: string;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly model?: string;
  readonly modelSettings: Readonly<Record<string, unknown>>;
  /** Undefined means "the personalities' toolboxes". */
  readonly toolboxes?: readonly string[];
  readonly blockedTools: readonly string[];
  readonly headless: boolean;
  readonly mustComplete: boolean;
  readonly maxSteps: number;
  readonly excludeFromContext: boolean;
  readonly repeatPrompt: boolean;
  readonly async: boolean;
  readonly asyncLimit: number;
  readonly env: Readonly<Record<string, TemplateText>>;
  readonly id?: string;
  /** JSON Schema (2020-12) the result must satisfy; seclab type specs are converted. */
  readonly outputs?: Readonly<Record<string, unknown>>;
  readonly if?: TemplateText;
  readonly over?: TemplateText;
  readonly capture: Capture;
  readonly models?: readonly ModelChoice[];
  /** 0 = as many as there are models. */
  readonly modelConcurrency: number;
  readonly completion: Completion;
  readonly timeoutMs?: number;
  /** The fields written in the file (before defaults); drives `uses` merging. */
  readonly explicit: ReadonlySet<TaskField>;
  /** Where the task's mapping starts. */
  readonly position: SourcePosition;
}

export interface TaskflowDefinition extends DefinitionBase<'taskflow'> {
  readonly globals: Readonly<Record<string, unknown>>;
  readonly modelConfig?: string;
  readonly tasks: readonly TaskDefinition[];
}

export interface PersonalityDefinition extends DefinitionBase<'personality'> {
  readonly personality: string;
  readonly task?: string;
  readonly toolboxes: readonly string[];
}

export type ToolboxKind = 'stdio' | 'sse' | 'streamable';

export interface ServerParams {
  readonly kind: ToolboxKind;
  readonly command?: string;
  /** Templates; rendered when the toolbox starts. */
  readonly args: readonly string[];
  /** Templates (numbers/booleans already coerced to strings). */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly url?: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly optionalHeaders: Readonly<Record<string, string>>;
  /** Per MCP request. */
  readonly timeoutMs: number;
  /** To start and initialise. */
  readonly connectTimeoutMs: number;
  /** seclab `reconnecting`: restart a stdio server per call. */
  readonly reconnecting: boolean;
}

export interface ToolboxDefinition extends DefinitionBase<'toolbox'> {
  readonly serverParams: ServerParams;
  readonly serverPrompt?: string;
  readonly confirm: readonly string[];
}

export interface PromptDefinition extends DefinitionBase<'prompt'> {
  readonly prompt: string;
}

export interface ModelConfigDefinition extends DefinitionBase<'model_config'> {
  readonly apiType: ApiType;
  /** Logical name -> provider model id. */
  readonly models: Readonly<Record<string, string>>;
  /** Logical name -> settings (engine keys included, as written). */
  readonly modelSettings: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export type Definition =
  | TaskflowDefinition
  | PersonalityDefinition
  | ToolboxDefinition
  | PromptDefinition
  | ModelConfigDefinition;

export interface DefinitionByKind {
  taskflow: TaskflowDefinition;
  personality: PersonalityDefinition;
  toolbox: ToolboxDefinition;
  prompt: PromptDefinition;
  model_config: ModelConfigDefinition;
}

/** Keys of model settings handled by the engine and never sent to the API. */
export const ENGINE_SETTING_KEYS = [
  'api_type',
  'endpoint',
  'token',
  'resilience',
  'rate_limits',
  'backend',
] as const;
