import type { SourcePosition, TemplateText } from './types.js';

/** Syntax checks the loader needs from the template engine (injected; definitions stays a leaf). */
export interface TemplateSyntaxChecker {
  checkSyntax(template: string): { line: number; column: number; message: string }[];
  checkExpressionSyntax(
    expression: string,
  ): { line: number; column: number; message: string } | undefined;
  listIncludes(template: string): string[];
}

/** Map a 1-based line/column inside a template to its position in the YAML file. */
export function templatePosition(
  template: TemplateText,
  line: number,
  column: number,
): SourcePosition {
  const start = template.position;
  if (template.block) {
    return {
      filePath: start.filePath,
      line: start.line + line - 1,
      column: start.column - 1 + column,
    };
  }
  if (line <= 1)
    return { filePath: start.filePath, line: start.line, column: start.column + column - 1 };
  return { filePath: start.filePath, line: start.line + line - 1, column };
}
