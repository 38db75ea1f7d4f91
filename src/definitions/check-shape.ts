import type * as z from '../zod.js';
import type { DefinitionIssue } from './issues.js';
import type { ParsedYaml } from './parse-yaml.js';
import { HEADER_KEY } from './header-key.js';
import { describeValue } from './check-header.js';
import { didYouMean } from './did-you-mean.js';
import { taskSchema } from './schemas/taskflow-schema.js';

type Issue = z.core.$ZodIssue;

/** `taskflow[2].task.agents[0]` */
export function formatFieldPath(fieldPath: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of fieldPath) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text;
}

function valueAt(root: unknown, fieldPath: readonly PropertyKey[]): unknown {
  let node = root;
  for (const segment of fieldPath) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}

function typeName(expected: string): string {
  switch (expected) {
    case 'record':
    case 'object':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'int':
      return 'an integer';
    default:
      return `a ${expected}`;
  }
}

function messageFor(issue: Issue, actual: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      if (actual === undefined) return 'required field is missing';
      return `expected ${typeName(issue.expected)}, got ${describeValue(actual)}`;
    case 'too_small':
      if (issue.origin === 'array') return `must list at least ${String(issue.minimum)} item(s)`;
      if (issue.origin === 'string') return 'must not be empty';
      return `must be ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}, got ${describeValue(actual)}`;
    case 'too_big':
      return `must be ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}, got ${describeValue(actual)}`;
    case 'invalid_value':
      return `must be one of: ${issue.values.map((value) => JSON.stringify(value)).join(', ')}; got ${describeValue(actual)}`;
    case 'invalid_format':
      return `${issue.message}, got ${describeValue(actual)}`;
    case 'invalid_union':
      return `invalid value ${describeValue(actual)}${issue.message && !issue.message.startsWith('Invalid input') ? `: ${issue.message}` : ''}`;
    default:
      return issue.message;
  }
}

/** `['taskflow', 3]`: an item of the task list. */
function isTaskItem(fieldPath: readonly PropertyKey[]): boolean {
  return fieldPath.length === 2 && fieldPath[0] === 'taskflow' && typeof fieldPath[1] === 'number';
}

/** seclab's docs show `- task:` with the fields at the level of `task:`; YAML then reads an
 *  empty task with the fields beside it, so say that rather than "expected a mapping". */
function emptyTaskMessage(item: unknown, task: unknown): string {
  const beside =
    item !== null && typeof item === 'object'
      ? Object.keys(item).filter((key) => key !== 'task')
      : [];
  const what = task === null ? 'the task is empty' : 'the list item has no "task:"';
  if (beside.length === 0) return what;
  return `${what}; its fields (${beside.join(', ')}) are written beside "task:" — indent them under "task:" (two more spaces than "task")`;
}

/**
 * Validate `parsed.value` against a filetype schema. Unknown fields become warnings
 * (`unknown-field`, with a did-you-mean among `knownFields`); everything else is an error.
 * Header problems are reported by check-header.ts, so they are skipped here.
 */
export function checkShape(
  parsed: ParsedYaml,
  schema: z.ZodMiniType,
  knownFields: readonly string[],
  issues: DefinitionIssue[],
): boolean {
  const result = schema.safeParse(parsed.value);
  if (result.success) return true;
  let ok = true;
  for (const issue of result.error.issues) {
    const fieldPath = issue.path;
    if (fieldPath[0] === HEADER_KEY) continue;
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const keyPath = [...fieldPath, key] as (string | number)[];
        const { line, column } = parsed.locate(keyPath, { key: true });
        const hint =
          isTaskItem(fieldPath) && Object.hasOwn(taskSchema.shape, key)
            ? ' — it is a task field: indent it under "task:"'
            : didYouMean(key, knownFields);
        issues.push({
          severity: 'warning',
          kind: 'unknown-field',
          filePath: parsed.filePath,
          line,
          column,
          fieldPath: formatFieldPath(keyPath),
          message: `unknown field "${key}"${hint}`,
        });
      }
      continue;
    }
    ok = false;
    const actual = valueAt(parsed.value, fieldPath);
    const emptyTask =
      issue.code === 'invalid_type' &&
      actual == null &&
      fieldPath.at(-1) === 'task' &&
      isTaskItem(fieldPath.slice(0, -1));
    const { line, column } = parsed.locate(fieldPath as (string | number)[], { key: emptyTask });
    issues.push({
      severity: 'error',
      kind: emptyTask ? 'empty-task' : 'invalid-field',
      filePath: parsed.filePath,
      line,
      column,
      fieldPath: formatFieldPath(fieldPath),
      message: emptyTask
        ? emptyTaskMessage(valueAt(parsed.value, fieldPath.slice(0, -1)), actual)
        : messageFor(issue, actual),
    });
  }
  return ok;
}
