import { formatIssue, sortIssues } from '../../definitions/issues.js';
import { validateReferences } from '../../definitions/validate-references.js';
import { displayPath } from '../../definitions/issues.js';
import { createLoader } from '../create-loader.js';
import { parseGlobalFlags } from '../parse-globals.js';
import { EXIT } from '../exit-codes.js';
import type { RuntimeContext } from '../runtime-context.js';

export interface ValidateOptions {
  readonly strict?: boolean;
  /** `-g KEY=VALUE`: globals the run would be given (checked like run's). */
  readonly global?: readonly string[];
  readonly path: readonly string[];
  readonly json?: boolean;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** `taskflow validate`: exit 0 when valid (warnings allowed unless --strict), else 2. */
export function validateCommand(
  context: RuntimeContext,
  references: readonly string[],
  options: ValidateOptions,
): number {
  const globalFlags = Object.keys(parseGlobalFlags(options.global ?? []));
  const loader = createLoader(context, options.path);
  validateReferences(loader, references, { globalFlags });
  const issues = sortIssues(loader.issues.issues).map((issue) =>
    options.strict && issue.severity === 'warning'
      ? { ...issue, severity: 'error' as const }
      : issue,
  );
  const errors = issues.filter((issue) => issue.severity === 'error').length;
  const warnings = issues.length - errors;
  if (options.json) {
    const files = [...loader.files.keys()].map((file) =>
      displayPath(file, context.workingDirectory),
    );
    context.stdout.write(`${JSON.stringify({ valid: errors === 0, files, issues }, null, 2)}\n`);
    return errors === 0 ? EXIT.ok : EXIT.usage;
  }
  for (const issue of issues)
    context.stderr.write(`${formatIssue(issue, context.workingDirectory)}\n`);
  const checked = plural(loader.files.size, 'file');
  if (errors > 0) {
    context.stderr.write(
      `invalid: ${plural(errors, 'error')}, ${plural(warnings, 'warning')} in ${checked}\n`,
    );
    return EXIT.usage;
  }
  const suffix = warnings > 0 ? ` (${plural(warnings, 'warning')})` : '';
  context.stdout.write(`valid: ${references.join(', ')} — ${checked} checked${suffix}\n`);
  return EXIT.ok;
}
