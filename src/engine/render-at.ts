import { templatePosition } from '../definitions/template-positions.js';
import type { TemplateText } from '../definitions/types.js';
import { isTaskflowError, TaskflowError } from '../errors.js';
import type { TemplateRenderer } from '../templates/template-renderer.js';

/**
 * Render a template from a definition file; errors are re-thrown with the position in
 * that file (`file:line:col field: message`).
 */
export function renderAt(
  renderer: TemplateRenderer,
  template: TemplateText,
  context: Readonly<Record<string, unknown>>,
  field: string,
): string {
  try {
    return renderer.render(template.text, context, { templateName: template.position.filePath });
  } catch (error) {
    throw relocate(error, template, field);
  }
}

/** Evaluate an expression (`if`, `over`) from a definition file, with positioned errors. */
export function evaluateAt(
  renderer: TemplateRenderer,
  template: TemplateText,
  context: Readonly<Record<string, unknown>>,
  field: string,
): unknown {
  try {
    return renderer.evaluate(template.text, context);
  } catch (error) {
    throw relocate(error, template, field);
  }
}

function relocate(error: unknown, template: TemplateText, field: string): unknown {
  if (!isTaskflowError(error) || error.code !== 'template') return error;
  const inOtherFile = error.filePath !== undefined && error.filePath !== template.position.filePath;
  if (inOtherFile || error.line === undefined) {
    const where = error.filePath
      ? `${error.filePath}:${error.line ?? 1}:${error.column ?? 1}`
      : template.position.filePath;
    return new TaskflowError('template', `${where} ${field}: ${error.message}`, {
      cause: error,
      filePath: error.filePath ?? template.position.filePath,
    });
  }
  const position = templatePosition(template, error.line, error.column ?? 1);
  return new TaskflowError(
    'template',
    `${position.filePath}:${position.line}:${position.column} ${field}: ${error.message}`,
    {
      cause: error,
      filePath: position.filePath,
      line: position.line,
      column: position.column,
    },
  );
}
