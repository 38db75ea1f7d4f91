/**
 * The template engine of taskflow: nunjucks configured to behave like seclab's Jinja2
 * Environment (StrictUndefined, no autoescape, trim_blocks, lstrip_blocks, no trailing
 * newline, Python printing of values, Python methods, slices, Jinja2's filters), with
 * `env()` and `{% include 'dotted.name' %}` served by `resolvePrompt`. Templates are
 * sandboxed (template-sandbox.ts): they read data and call their own functions, never
 * other JavaScript.
 */
import nunjucks from 'nunjucks';
import { TaskflowError } from '../errors.js';
import {
  compileExpression,
  compileTemplate,
  expressionColumnShift,
  listTemplateReferences,
  shiftIssue,
  type CompileOutcome,
} from './compile-template.js';
import { createCompiledLoader, createTemplate } from './nunjucks-internals.js';
import { listMemberReads, type MemberRead } from './member-reads.js';
import { HELPER_NAMES } from './rewrite-template-ast.js';
import { errorFromIssues, errorFromRenderFailure, type TemplateIssue } from './template-errors.js';
import { createTemplateRuntime, type CaptureSlot } from './template-runtime.js';
import { trustEnvironmentGlobals } from './sandboxed-runtime.js';

export { isTruthy } from './is-truthy.js';
export type { TemplateIssue } from './template-errors.js';
export type { MemberRead } from './member-reads.js';
export { isSandboxRefusal } from './template-sandbox.js';

export interface TemplateRendererOptions {
  /** Environment variables visible to env(); never process.env directly. */
  environment: Readonly<Record<string, string | undefined>>;
  /** Resolve a dotted include name ('examples.prompts.x') to a prompt's text and file path.
   *  Throws a TaskflowError (code 'reference-unresolved') when not found. Results are
   *  memoised for the renderer's lifetime. */
  resolvePrompt: (name: string) => { text: string; filePath: string };
  /** Called for every value read through env() (callers redact these later); not for defaults. */
  onEnvRead?: (name: string, value: string) => void;
}

export interface TemplateRenderer {
  /**
   * Render with Jinja StrictUndefined semantics. Throws a TaskflowError, code 'template'
   * (or the resolver's code for an include that does not resolve), whose `line`/`column`
   * are 1-based in the text the problem is in: the template, or an included prompt, in
   * which case `filePath` is that prompt's file (otherwise `options.templateName`).
   */
  render(
    template: string,
    context: Readonly<Record<string, unknown>>,
    options?: { templateName?: string },
  ): string;
  /** Evaluate a Jinja expression (task `if`, `over`) to its JS value. Undefined names and
   *  members evaluate to undefined; syntax errors throw TaskflowError 'template'. */
  evaluate(expression: string, context: Readonly<Record<string, unknown>>): unknown;
  /** Parse and compile only (no rendering, no env access): issues of a template; [] when fine. */
  checkSyntax(template: string): TemplateIssue[];
  /** Parse and compile only: the issue of an expression, or undefined. */
  checkExpressionSyntax(expression: string): TemplateIssue | undefined;
  /** Literal prompt names in `{% include %}` (not `ignore missing` ones), `{% import %}`, `{% from %}`
   *  and `{% extends %}`, each once, in order; [] on a syntax error (checkSyntax reports it). */
  listIncludes(template: string): string[];
  /** Reads of a literal member of `roots` (`globals.fruit`); undefined on a syntax error.
   *  With `expression`, the text is a bare expression (task `if`, `over`). */
  listMemberReads(
    template: string,
    roots: readonly string[],
    options?: { expression?: boolean },
  ): MemberRead[] | undefined;
}

/** Compiled templates kept per renderer; beyond this the oldest is dropped. */
const MAX_CACHED_TEMPLATES = 500;

export function createTemplateRenderer(options: TemplateRendererOptions): TemplateRenderer {
  const runtime = createTemplateRuntime(options);
  const findPrompt = (name: string) => {
    try {
      return runtime.resolvePrompt(name);
    } catch (error) {
      if (error instanceof TaskflowError && error.code === 'reference-unresolved') return undefined;
      throw error;
    }
  };
  // Runs lazily, on the first include of each name (after the registry below exists).
  const loader = createCompiledLoader((name) => {
    const prompt = findPrompt(name);
    if (!prompt) return undefined;
    const outcome = compileTemplate(prompt.text, {
      ...nameChecks,
      strict: true,
      filePath: prompt.filePath,
    });
    if (outcome.issues) throw errorFromIssues(outcome.issues, prompt.filePath);
    return { source: outcome.source, path: prompt.filePath };
  });
  const environment = new nunjucks.Environment(loader, {
    autoescape: false,
    trimBlocks: true,
    lstripBlocks: true,
    throwOnUndefined: false,
    // Keeps nunjucks' TemplateError (with `cause`, lineno, colno) instead of a bare copy.
    dev: true,
  });
  for (const [name, value] of Object.entries(runtime.globals)) environment.addGlobal(name, value);
  trustEnvironmentGlobals(environment);
  for (const [name, filter] of Object.entries(runtime.filters)) environment.addFilter(name, filter);
  // @types/nunjucks leaves out addTest, which nunjucks has.
  const withTests = environment as unknown as { addTest(name: string, test: unknown): void };
  for (const [name, test] of Object.entries(runtime.tests)) withTests.addTest(name, test);
  const registry = environment as unknown as { filters: object; tests: object };
  const nameChecks = {
    isKnownFilter: (name: string) => Object.hasOwn(registry.filters, name),
    isKnownTest: (name: string) => Object.hasOwn(registry.tests, name),
  };

  const templates = new Map<string, nunjucks.Template>();
  const cached = (key: string, filePath: string | undefined, build: () => CompileOutcome) => {
    let template = templates.get(key);
    if (template) return template;
    const outcome = build();
    if (outcome.issues) throw errorFromIssues(outcome.issues, filePath);
    template = createTemplate(outcome.source, environment, filePath);
    if (templates.size >= MAX_CACHED_TEMPLATES)
      templates.delete(templates.keys().next().value ?? '');
    templates.set(key, template);
    return template;
  };

  const run = (
    template: nunjucks.Template,
    context: object,
    filePath: string | undefined,
  ): string => {
    try {
      return template.render(context);
    } catch (error) {
      throw errorFromRenderFailure(error, filePath);
    }
  };

  return {
    render(text, context, renderOptions = {}) {
      const filePath = renderOptions.templateName;
      const key = `template\u0000${filePath ?? ''}\u0000${text}`;
      const template = cached(key, filePath, () =>
        compileTemplate(text, { ...nameChecks, strict: true, filePath }),
      );
      return run(template, context, filePath);
    },

    evaluate(expression, context) {
      const template = cached(`expression\u0000${expression}`, undefined, () =>
        compileExpression(expression, { ...nameChecks, strict: false }),
      );
      const slot: CaptureSlot = { value: undefined };
      try {
        run(template, { ...context, [HELPER_NAMES.captureSlot]: slot }, undefined);
      } catch (error) {
        throw relativeToExpression(error, expression);
      }
      return slot.value;
    },

    checkSyntax(text) {
      return [...(compileTemplate(text, { ...nameChecks, strict: true }).issues ?? [])];
    },

    checkExpressionSyntax(expression) {
      return compileExpression(expression, { ...nameChecks, strict: false }).issues?.[0];
    },

    listIncludes(text) {
      return listTemplateReferences(text);
    },

    listMemberReads(text, roots, readOptions) {
      return listMemberReads(text, roots, readOptions);
    },
  };
}

/** Runtime errors of an expression are positioned in the `{{ }}` wrapper; move them back. */
function relativeToExpression(error: unknown, expression: string): unknown {
  if (!(error instanceof TaskflowError) || error.line === undefined || error.column === undefined)
    return error;
  const { line, column } = shiftIssue(
    { line: error.line, column: error.column },
    expressionColumnShift(expression),
    expression.length + 1,
  );
  if (column === error.column) return error;
  return new TaskflowError(error.code, error.message, {
    line,
    column,
    details: error.details,
    ...(error.filePath === undefined ? {} : { filePath: error.filePath }),
    cause: error.cause,
  });
}
