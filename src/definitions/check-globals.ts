import type { DefinitionLoader, ReferenceSite } from './definition-loader.js';
import { didYouMean } from './did-you-mean.js';
import { displayPath, type DefinitionIssue } from './issues.js';
import { templatePosition } from './template-positions.js';
import type {
  PromptDefinition,
  TaskDefinition,
  TaskflowDefinition,
  TemplateText,
  ToolboxDefinition,
} from './types.js';

/** What a taskflow renders, and which globals exist besides the ones it declares. */
export interface GlobalsCheckInput {
  readonly taskflow: TaskflowDefinition;
  /** Each task as written, with its effective task (after `uses`). */
  readonly tasks: readonly {
    readonly written: TaskDefinition;
    readonly effective: TaskDefinition;
  }[];
  /** Prompts its templates include (at any depth). */
  readonly prompts: Iterable<PromptDefinition>;
  /** Toolboxes its tasks start (their templates see the globals too). */
  readonly toolboxes: Iterable<ToolboxDefinition>;
  /** Keys given with `-g`: each should be a global the taskflow declares or reads. */
  readonly globalFlags: readonly string[];
  /** Further globals that exist at run time (a resumed session's), never warned about. */
  readonly providedGlobals: readonly string[];
  /** Severity of an undeclared global: a warning when validating a one-task taskflow alone,
   *  which may be a fragment whose `uses` runs it with another taskflow's globals. */
  readonly severity: DefinitionIssue['severity'];
}

interface Read {
  readonly member: string;
  readonly guarded: boolean;
  readonly site: ReferenceSite;
  /** Set when the template came through `uses`: where in the used file it is. */
  readonly mergedFrom?: { readonly uses: string; readonly where: string };
}

const GLOBALS = ['globals'];

/**
 * The globals a taskflow's templates read against those it declares (seclab renders with
 * StrictUndefined: a read of a global that neither the file nor `-g` gives fails the task
 * when it renders, after the tasks before it ran). An undeclared global read where the
 * template does not allow it to be undefined (`default`, `is defined`, `if`/`over`
 * expressions) is an issue at the read; a `-g` key that is neither declared nor read by any
 * template is a warning (seclab accepts it silently; usually a typo).
 */
export function checkGlobals(loader: DefinitionLoader, input: GlobalsCheckInput): void {
  const reads = collectReads(loader, input);
  const declared = Object.keys(input.taskflow.globals);
  const available = new Set([...declared, ...input.globalFlags, ...input.providedGlobals]);
  const guarded = new Set(reads.filter((read) => read.guarded).map((read) => read.member));
  for (const read of reads) {
    if (read.guarded || available.has(read.member) || guarded.has(read.member)) continue;
    loader.issues.add({
      severity: input.severity,
      kind: 'undeclared-global',
      ...read.site,
      message: undeclaredMessage(read, available, input.severity),
    });
  }
  const known = new Set([...declared, ...reads.map((read) => read.member)]);
  const position = loader.positionIn(input.taskflow.filePath, ['globals'], { key: true });
  for (const key of new Set(input.globalFlags)) {
    if (known.has(key)) continue;
    loader.issues.add({
      severity: 'warning',
      kind: 'unknown-global-flag',
      filePath: input.taskflow.filePath,
      ...position,
      fieldPath: 'globals',
      message: `-g ${key}: the taskflow declares no global "${key}"${didYouMean(key, known)}`,
    });
  }
}

function undeclaredMessage(
  read: Read,
  available: ReadonlySet<string>,
  severity: DefinitionIssue['severity'],
): string {
  const merged = read.mergedFrom
    ? `after merging "${read.mergedFrom.uses}": globals.${read.member} (${read.mergedFrom.where})`
    : `globals.${read.member}`;
  const hint = didYouMean(read.member, available);
  const remedy = `${hint === '' ? ' ' : `${hint} `}(declare it, or pass -g ${read.member}=VALUE)`;
  const fragment =
    severity === 'warning'
      ? '; fine if this file is only run through "uses" by a taskflow that declares it'
      : '';
  return `${merged} is not declared in "globals"${remedy}${fragment}`;
}

/** A template that came into a task through its `uses`: reported at `uses`. */
interface Via {
  readonly uses: string;
  readonly site: ReferenceSite;
}

function collectReads(loader: DefinitionLoader, input: GlobalsCheckInput): Read[] {
  const reads: Read[] = [];
  const add = (
    template: TemplateText,
    fieldPath: string,
    options: { expression?: boolean; guarded?: boolean; via?: Via | undefined } = {},
  ) => {
    const found = loader.options.templates.listMemberReads(template.text, GLOBALS, {
      expression: options.expression ?? false,
    });
    for (const read of found ?? []) {
      const position = templatePosition(template, read.line, read.column);
      const where = `${displayPath(position.filePath, loader.workingDirectory)}:${position.line}:${position.column}`;
      reads.push({
        member: read.member,
        guarded: read.guarded || options.guarded === true,
        site: options.via?.site ?? { ...position, fieldPath },
        ...(options.via && { mergedFrom: { uses: options.via.uses, where } }),
      });
    }
  };
  for (const { written, effective } of input.tasks) {
    const base = `taskflow[${written.index}].task`;
    const taskPath = ['taskflow', written.index, 'task', 'uses'];
    const via = (field: 'userPrompt' | 'env' | 'if' | 'over'): Via | undefined =>
      written.uses === undefined || written.explicit.has(field)
        ? undefined
        : {
            uses: written.uses,
            site: {
              filePath: input.taskflow.filePath,
              ...loader.positionIn(input.taskflow.filePath, taskPath),
              fieldPath: `${base}.uses`,
            },
          };
    if (effective.userPrompt)
      add(effective.userPrompt, `${base}.user_prompt`, { via: via('userPrompt') });
    for (const [name, template] of Object.entries(effective.env))
      add(template, `${base}.env.${name}`, { via: via('env') });
    if (effective.if) add(effective.if, `${base}.if`, { expression: true, via: via('if') });
    if (effective.over) add(effective.over, `${base}.over`, { expression: true, via: via('over') });
  }
  for (const prompt of input.prompts)
    add(loader.templateIn(prompt.filePath, ['prompt'], prompt.prompt), 'prompt');
  // A toolbox is shared by many taskflows: its reads only make -g keys known.
  for (const toolbox of input.toolboxes) {
    const position = { filePath: toolbox.filePath, line: 1, column: 1 };
    for (const text of templateStrings(toolbox.serverParams))
      add({ text, position, block: false }, 'server_params', { guarded: true });
  }
  return reads;
}

/** Every string inside a value (the templated fields of server params). */
function templateStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(templateStrings);
  if (value !== null && typeof value === 'object')
    return Object.values(value).flatMap(templateStrings);
  return [];
}
