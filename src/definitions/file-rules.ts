import { validateRateLimits } from '../resilience/rate-limits-config.js';
import { formatFieldPath } from './check-shape.js';
import type { DefinitionIssue } from './issues.js';
import { checkJsonSchema, isJsonSchema, OutputsSpecError, toJsonSchema } from './outputs-schema.js';
import type { FieldPath, ParsedYaml } from './parse-yaml.js';
import type { RawModelConfig } from './schemas/model-config-schema.js';
import type { RawTask, RawTaskflow } from './schemas/taskflow-schema.js';
import type { RawToolbox } from './schemas/toolbox-schema.js';
import { templatePosition, type TemplateSyntaxChecker } from './template-positions.js';
import { templateAt } from './normalize-taskflow.js';
import type { Filetype } from './types.js';

export interface FileRulesResult {
  readonly ok: boolean;
  /** Task index -> JSON Schema of its `outputs` (converted from seclab specs). */
  readonly outputsByTask: Map<number, Record<string, unknown>>;
}

type Report = (
  fieldPath: FieldPath,
  message: string,
  options?: { kind?: string; warning?: boolean; key?: boolean },
) => void;

/** Rules inside one file (after its shape is valid). Cross-file rules live in load-taskflow.ts. */
export function checkFileRules(
  parsed: ParsedYaml,
  filetype: Filetype,
  templates: TemplateSyntaxChecker,
  issues: DefinitionIssue[],
): FileRulesResult {
  let ok = true;
  const report: Report = (fieldPath, message, options = {}) => {
    const { line, column } = parsed.locate(fieldPath, { key: options.key ?? false });
    if (!options.warning) ok = false;
    issues.push({
      severity: options.warning ? 'warning' : 'error',
      kind: options.kind ?? 'rule',
      filePath: parsed.filePath,
      line,
      column,
      fieldPath: formatFieldPath(fieldPath),
      message,
    });
  };
  const checkTemplate = (fieldPath: FieldPath, text: string, expression = false) => {
    const template = templateAt(parsed, [...fieldPath], text);
    const found = expression
      ? [templates.checkExpressionSyntax(text)]
          .filter((issue) => issue !== undefined)
          .map((issue) => expressionIssue(text, issue))
      : templates.checkSyntax(text);
    for (const issue of found) {
      const position = templatePosition(template, issue.line, issue.column);
      ok = false;
      issues.push({
        severity: 'error',
        kind: 'template-syntax',
        filePath: parsed.filePath,
        line: position.line,
        column: position.column,
        fieldPath: formatFieldPath(fieldPath),
        message: `template syntax error: ${issue.message}`,
      });
    }
  };
  const outputsByTask = new Map<number, Record<string, unknown>>();
  switch (filetype) {
    case 'taskflow':
      checkTaskflow(parsed.value as RawTaskflow, report, checkTemplate, outputsByTask);
      break;
    case 'toolbox':
      checkToolbox(parsed.value as RawToolbox, report, checkTemplate);
      break;
    case 'model_config':
      checkModelConfig(parsed.value as RawModelConfig, report);
      break;
    case 'prompt':
      checkTemplate(['prompt'], (parsed.value as { prompt?: string | null }).prompt ?? '');
      break;
    case 'personality':
      break;
  }
  return { ok, outputsByTask };
}

/** An expression is checked as `{{ expression }}`; when it ends too early the parser trips on
 *  the closing braces we added, which the user never wrote. */
function expressionIssue<T extends { message: string }>(text: string, issue: T): T {
  if (/unexpected token: }}$/.test(issue.message) && !text.includes('}}')) {
    return { ...issue, message: 'unexpected end of expression' };
  }
  return issue;
}

type CheckTemplate = (fieldPath: FieldPath, text: string, expression?: boolean) => void;

/**
 * Fields one task cannot have together. Checked on every written task, fragments of `uses`
 * included (merging cannot remove a field), and again on the merged task. What a task
 * needs (agents, a prompt, `repeat_prompt` for `over`) depends on the merge and is checked
 * on the effective task (effective-task.ts).
 */
export function taskConflicts(
  task: Partial<Record<keyof RawTask, unknown>>,
): { field: keyof RawTask; message: string }[] {
  const given = (field: keyof RawTask) => task[field] !== undefined && task[field] !== null;
  const problems: { field: keyof RawTask; message: string }[] = [];
  if (given('run')) {
    // seclab: models.py:106-110 refuses run with user_prompt; the rest are our own fields.
    for (const field of ['user_prompt', 'models', 'over'] as const) {
      if (given(field))
        problems.push({ field: 'run', message: `a shell task ("run") cannot have "${field}"` });
    }
    if (task.capture === 'response')
      problems.push({
        field: 'capture',
        message: '"capture: response" needs an agent; a shell task ("run") has none',
      });
  }
  if (given('model') && given('models'))
    problems.push({ field: 'models', message: '"model" and "models" are mutually exclusive' });
  return problems;
}

function checkTaskflow(
  raw: RawTaskflow,
  report: Report,
  checkTemplate: CheckTemplate,
  outputsByTask: Map<number, Record<string, unknown>>,
): void {
  const ids = new Map<string, number>();
  const tasks = raw.taskflow ?? [];
  // seclab runs a taskflow without tasks as nothing to do (models.py:145-152); say so.
  if (tasks.length === 0)
    report(['taskflow'], 'the taskflow has no tasks: running it does nothing', {
      warning: true,
      kind: 'no-tasks',
      key: true,
    });
  tasks.forEach(({ task }, index) => {
    const at = (...rest: (string | number)[]) => ['taskflow', index, 'task', ...rest];
    for (const problem of taskConflicts(task)) {
      report(task[problem.field] === undefined ? at() : at(problem.field), problem.message, {
        key: task[problem.field] === undefined,
      });
    }
    if (task.id != null) {
      const previous = ids.get(task.id);
      if (previous !== undefined)
        report(at('id'), `duplicate id "${task.id}" (also used by task ${previous + 1})`);
      else ids.set(task.id, index);
    }
    if (task.outputs != null) {
      try {
        const schema = toJsonSchema(task.outputs);
        // Schemas converted from a seclab type spec are valid by construction; only
        // hand-written JSON Schema needs ajv (and its ~50 ms import) at load time.
        const problem = isJsonSchema(task.outputs) ? checkJsonSchema(schema) : undefined;
        if (problem)
          report(at('outputs', ...problem.fieldPath), `invalid JSON Schema: ${problem.message}`, {
            key: problem.key,
          });
        else outputsByTask.set(index, schema);
      } catch (error) {
        if (!(error instanceof OutputsSpecError)) throw error;
        report(at('outputs', ...error.fieldPath), `invalid outputs spec: ${error.message}`);
      }
    }
    checkRateLimits(task.model_settings, at('model_settings'), report);
    (task.models ?? []).forEach((entry, modelIndex) => {
      if (typeof entry !== 'string')
        checkRateLimits(entry.model_settings, at('models', modelIndex, 'model_settings'), report);
    });
    if (task.user_prompt != null) checkTemplate(at('user_prompt'), task.user_prompt);
    for (const [name, value] of Object.entries(task.env ?? {}))
      checkTemplate(at('env', name), String(value));
    if (typeof task.if === 'string') checkTemplate(at('if'), task.if, true);
    if (task.over != null) checkTemplate(at('over'), task.over, true);
  });
}

function checkToolbox(raw: RawToolbox, report: Report, checkTemplate: CheckTemplate): void {
  const params = raw.server_params;
  const at = (...rest: (string | number)[]) => ['server_params', ...rest];
  if (params.kind === 'stdio' && params.command == null) {
    report(at('kind'), 'a stdio toolbox needs "command"');
  }
  if ((params.kind === 'sse' || params.kind === 'streamable') && params.url == null) {
    report(at('kind'), `a ${params.kind} toolbox needs "url"`);
  }
  if (params.command != null) checkTemplate(at('command'), params.command);
  (params.args ?? []).forEach((arg, index) => checkTemplate(at('args', index), String(arg)));
  if (params.url != null) checkTemplate(at('url'), params.url);
  if (params.cwd != null) checkTemplate(at('cwd'), params.cwd);
  for (const group of ['env', 'headers', 'optional_headers'] as const) {
    for (const [name, value] of Object.entries(params[group] ?? {}))
      checkTemplate(at(group, name), String(value));
  }
}

const TOKEN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkModelConfig(raw: RawModelConfig, report: Report): void {
  const models = raw.models ?? {};
  if (raw.api_type === 'messages') {
    report(
      ['api_type'],
      'api_type "messages" (Anthropic Messages API) is not supported; models using it fail when a task runs them',
      { warning: true, kind: 'unsupported-api-type' },
    );
  }
  if (raw.backend != null && raw.backend !== 'openai_agents') {
    report(
      ['backend'],
      `backend "${raw.backend}" is not supported; taskflow talks to OpenAI-compatible endpoints`,
      { warning: true, kind: 'unsupported-backend' },
    );
  }
  for (const [name, settings] of Object.entries(raw.model_settings ?? {})) {
    if (!(name in models)) {
      const known = Object.keys(models);
      report(
        ['model_settings', name],
        `"${name}" is not a model of this config (models: ${known.length ? known.join(', ') : 'none'})`,
        { key: true },
      );
      continue;
    }
    const token = settings.token;
    if (token !== undefined && (typeof token !== 'string' || !TOKEN_NAME.test(token))) {
      report(
        ['model_settings', name, 'token'],
        'token must be the NAME of an environment variable holding the key (e.g. MY_API_TOKEN), never the key itself',
      );
    }
    const apiType = settings.api_type;
    if (apiType !== undefined && apiType !== 'chat_completions' && apiType !== 'responses') {
      const warning = apiType === 'messages';
      report(
        ['model_settings', name, 'api_type'],
        warning
          ? 'api_type "messages" is not supported; this model fails when a task runs it'
          : `api_type must be "chat_completions" or "responses", got ${JSON.stringify(apiType)}`,
        { warning, kind: warning ? 'unsupported-api-type' : 'rule' },
      );
    }
    const endpoint = settings.endpoint;
    if (
      endpoint !== undefined &&
      (typeof endpoint !== 'string' || !/^https?:\/\//.test(endpoint))
    ) {
      report(['model_settings', name, 'endpoint'], 'endpoint must be an http(s) URL');
    }
    checkRateLimits(settings, ['model_settings', name], report);
  }
}

/** `rate_limits` among the model settings at `fieldPath`, checked as the pacer reads them. */
function checkRateLimits(
  settings: Readonly<Record<string, unknown>> | null | undefined,
  fieldPath: FieldPath,
  report: Report,
): void {
  if (settings == null) return;
  for (const issue of validateRateLimits(settings.rate_limits).issues) {
    const key = issue.unknownKey === true;
    report([...fieldPath, 'rate_limits', ...issue.path], issue.message, { key });
  }
}
