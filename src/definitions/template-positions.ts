import type { SourcePosition, TemplateText } from './types.js';

/** Syntax checks the loader needs from the template engine (injected; definitions stays a leaf). */
export interface TemplateSyntaxChecker {
  checkSyntax(template: string): { line: number; column: number; message: string }[];
  checkExpressionSyntax(
    expression: string,
  ): { line: number; column: number; message: string } | undefined;
  listIncludes(template: string): string[];
  /** Reads of `root.member` with a literal member; undefined when the text does not parse. */
  listMemberReads(
    template: string,
    roots: readonly string[],
    options?: { expression?: boolean },
  ): TemplateMemberRead[] | undefined;
}

/** One `root.member` read of a template (1-based position in the template text); `guarded`
 *  when the template lets it be undefined (`default`, `is defined`, an expression). */
export interface TemplateMemberRead {
  readonly root: string;
  readonly member: string;
  readonly line: number;
  readonly column: number;
  readonly guarded: boolean;
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
