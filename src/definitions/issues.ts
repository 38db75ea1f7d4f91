import path from 'node:path';
import { TaskflowError } from '../errors.js';

/**
 * One problem found while loading definitions. All problems of a load are collected and
 * reported together; each message reads `file:line:col field.path: message`.
 */
export interface DefinitionIssue {
  readonly severity: 'error' | 'warning';
  /** Stable machine-readable kind, e.g. `unknown-field`, `unknown-model`, `yaml-syntax`. */
  readonly kind: string;
  readonly filePath: string;
  readonly line: number;
  readonly column: number;
  /** `taskflow[2].task.agents[0]`; empty for file-level issues. */
  readonly fieldPath: string;
  readonly message: string;
}

/** Collects issues; dedupes identical ones (a file referenced twice is checked once). */
export class IssueCollector {
  private readonly seen = new Set<string>();
  readonly issues: DefinitionIssue[] = [];

  add(issue: DefinitionIssue): void {
    const key = `${issue.severity}|${issue.filePath}|${issue.line}|${issue.column}|${issue.fieldPath}|${issue.message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.issues.push(issue);
  }

  get errors(): DefinitionIssue[] {
    return this.issues.filter((issue) => issue.severity === 'error');
  }

  get warnings(): DefinitionIssue[] {
    return this.issues.filter((issue) => issue.severity === 'warning');
  }
}

/** A path relative to the working directory when it lies inside it, else absolute. */
export function displayPath(filePath: string, workingDirectory: string): string {
  const relative = path.relative(workingDirectory, filePath);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return filePath;
  return relative;
}

/** `file:line:col field: message` (warnings say so after the field). */
export function formatIssue(issue: DefinitionIssue, workingDirectory: string): string {
  const where = `${displayPath(issue.filePath, workingDirectory)}:${issue.line}:${issue.column}`;
  const field = issue.fieldPath === '' ? '' : ` ${issue.fieldPath}:`;
  const level = issue.severity === 'warning' ? ' warning:' : '';
  return `${where}${field}${level} ${issue.message}`;
}

/** Sort by file, then position, errors first within a position. */
export function sortIssues(issues: readonly DefinitionIssue[]): DefinitionIssue[] {
  return [...issues].sort(
    (a, b) =>
      a.filePath.localeCompare(b.filePath) ||
      a.line - b.line ||
      a.column - b.column ||
      (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1),
  );
}

/** Thrown when a load found errors; carries every issue (warnings too). */
export class DefinitionError extends TaskflowError {
  override readonly name = 'DefinitionError';
  readonly issues: readonly DefinitionIssue[];

  constructor(issues: readonly DefinitionIssue[], workingDirectory: string) {
    const sorted = sortIssues(issues);
    const errors = sorted.filter((issue) => issue.severity === 'error');
    const first = errors[0] ?? sorted[0];
    const message =
      first === undefined ? 'invalid definitions' : formatIssue(first, workingDirectory);
    super('definition-invalid', message, {
      ...(first && { filePath: first.filePath, line: first.line, column: first.column }),
      ...(first && first.fieldPath !== '' && { fieldPath: first.fieldPath }),
      details: sorted.slice(1).map((issue) => formatIssue(issue, workingDirectory)),
    });
    this.issues = sorted;
  }
}
