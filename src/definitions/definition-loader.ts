import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { TaskflowError } from '../errors.js';
import { acceptSeclabForms } from './accept-seclab-forms.js';
import { checkHeader } from './check-header.js';
import { checkShape } from './check-shape.js';
import { checkFileRules } from './file-rules.js';
import { FILETYPE_SCHEMAS } from './filetype-schemas.js';
import { displayPath, IssueCollector, type DefinitionIssue } from './issues.js';
import { normalizeDefinition } from './normalize-definition.js';
import { parseYaml, type ParsedYaml } from './parse-yaml.js';
import { resolveReference, type SearchRoots } from './resolve-reference.js';
import type { TemplateSyntaxChecker } from './template-positions.js';
import { templateAt } from './normalize-taskflow.js';
import type { Definition, DefinitionByKind, Filetype, TemplateText } from './types.js';
import { withoutFailingFields } from './without-failing-fields.js';

/** Where a reference was written, for error positions. */
export interface ReferenceSite {
  readonly filePath: string;
  readonly line: number;
  readonly column: number;
  readonly fieldPath: string;
}

export interface DefinitionLoaderOptions {
  readonly roots: SearchRoots;
  readonly templates: TemplateSyntaxChecker;
}

const KIND_LABELS: Record<Filetype, string> = {
  taskflow: 'taskflow',
  personality: 'personality',
  toolbox: 'toolbox',
  prompt: 'prompt',
  model_config: 'model config',
};

interface CacheEntry {
  readonly filetype?: Filetype;
  readonly definition?: Definition;
  readonly parsed?: ParsedYaml;
}

/**
 * Loads definition files by reference, once each. Problems are collected in `issues`
 * (never thrown), so one pass reports everything; `files` holds the SHA-256 of every file
 * read, for session fingerprints.
 */
export class DefinitionLoader {
  readonly issues = new IssueCollector();
  readonly files = new Map<string, string>();
  private readonly cache = new Map<string, CacheEntry>();

  constructor(readonly options: DefinitionLoaderOptions) {}

  get workingDirectory(): string {
    return this.options.roots.workingDirectory;
  }

  /** Resolve and load `reference`, expecting `expected` (any filetype when undefined).
   *  Without a `site` (a command-line argument) an unresolved reference, or one to a file of
   *  another filetype, throws. Undefined when the file is unusable; a taskflow or prompt
   *  that broke only rules inside the file is returned, so check `issues` before using it. */
  load<K extends Filetype>(
    reference: string,
    expected: K,
    site?: ReferenceSite,
  ): DefinitionByKind[K] | undefined;
  load(reference: string, expected: undefined, site?: ReferenceSite): Definition | undefined;
  load(
    reference: string,
    expected: Filetype | undefined,
    site?: ReferenceSite,
  ): Definition | undefined {
    const resolution = resolveReference(reference, this.options.roots);
    if (!resolution.ok) {
      const what = expected === undefined ? 'reference' : KIND_LABELS[expected];
      const hint = resolution.suggestions[0]
        ? ` — did you mean "${resolution.suggestions[0]}"?`
        : '';
      const looked = resolution.lookedIn
        .slice(0, 4)
        .map((candidate) => displayPath(candidate, this.workingDirectory));
      const lookedText =
        looked.length === 0
          ? ''
          : ` (looked in: ${looked.join(', ')}${resolution.lookedIn.length > 4 ? ', …' : ''})`;
      const message =
        resolution.reason === 'not found'
          ? `unknown ${what} "${reference}"${hint}${lookedText}`
          : resolution.reason === 'file not found'
            ? `${what} file "${reference}" not found${hint}${lookedText}`
            : `invalid ${what} reference "${reference}": ${resolution.reason}`;
      if (!site) {
        throw new TaskflowError('reference-unresolved', message);
      }
      this.issues.add({ severity: 'error', kind: 'unknown-reference', ...site, message });
      return undefined;
    }
    return this.loadFile(resolution.filePath, expected, reference, site);
  }

  /** Load a file by absolute path. */
  loadFile(
    filePath: string,
    expected: Filetype | undefined,
    reference: string = filePath,
    site?: ReferenceSite,
  ): Definition | undefined {
    let entry = this.cache.get(filePath);
    if (!entry) {
      entry = this.read(filePath, reference);
      this.cache.set(filePath, entry);
    }
    if (expected !== undefined && entry.filetype !== undefined && entry.filetype !== expected) {
      this.reportWrongType(filePath, entry.filetype, expected, site);
      return undefined;
    }
    return entry.definition;
  }

  /** Position of a field in a loaded file (line 1, column 1 when unknown). */
  positionIn(
    filePath: string,
    fieldPath: readonly (string | number)[],
    options: { key?: boolean } = {},
  ): { line: number; column: number } {
    return this.cache.get(filePath)?.parsed?.locate(fieldPath, options) ?? { line: 1, column: 1 };
  }

  /** The template text at `fieldPath` of a loaded file, positioned for messages (at 1:1 of
   *  the file when it was not parsed). */
  templateIn(filePath: string, fieldPath: (string | number)[], text: string): TemplateText {
    const parsed = this.cache.get(filePath)?.parsed;
    if (parsed) return templateAt(parsed, fieldPath, text);
    return { text, position: { filePath, line: 1, column: 1 }, block: false };
  }

  private reportWrongType(
    filePath: string,
    actual: Filetype,
    expected: Filetype,
    site?: ReferenceSite,
  ) {
    const message = `expected a ${KIND_LABELS[expected]}, but ${displayPath(filePath, this.workingDirectory)} is a ${KIND_LABELS[actual]}`;
    if (!site) throw new TaskflowError('definition-invalid', message, { filePath });
    this.issues.add({ severity: 'error', kind: 'wrong-filetype', ...site, message });
  }

  /** Read and check one file on its own terms; whether its filetype is the one a reference
   *  expects is decided by the caller, so that mismatch is reported where the reference is. */
  private read(filePath: string, reference: string): CacheEntry {
    let source: string;
    try {
      source = fs.readFileSync(filePath, 'utf8');
    } catch (error) {
      throw new TaskflowError(
        'io',
        `cannot read ${displayPath(filePath, this.workingDirectory)}: ${(error as Error).message}`,
        {
          cause: error,
          filePath,
        },
      );
    }
    this.files.set(filePath, createHash('sha256').update(source).digest('hex'));
    const fileIssues: DefinitionIssue[] = [];
    const parsed = parseYaml(source, filePath);
    if (!parsed.ok) {
      for (const issue of parsed.issues) this.issues.add(issue);
      return {};
    }
    fileIssues.push(...parsed.warnings);
    const filetype = checkHeader(parsed.parsed, undefined, fileIssues);
    if (filetype === undefined) {
      for (const issue of fileIssues) this.issues.add(issue);
      return {};
    }
    const accepted = acceptSeclabForms(parsed.parsed, filetype);
    const { schema, knownFields } = FILETYPE_SCHEMAS[filetype];
    const shapeOk = checkShape(accepted, schema, knownFields, fileIssues);
    // A taskflow with fields of the wrong type is checked for the rest without them (its
    // errors keep it from running either way).
    const repaired =
      shapeOk || filetype !== 'taskflow' ? undefined : withoutFailingFields(accepted.value, schema);
    const checked = repaired === undefined ? accepted : { ...accepted, value: repaired };
    let definition: Definition | undefined;
    if (shapeOk || repaired !== undefined) {
      const identity = {
        ref: reference,
        filePath,
        shortName: path.basename(filePath).replace(/\.ya?ml$/i, ''),
      };
      const rules = checkFileRules(checked, filetype, this.options.templates, fileIssues);
      // A taskflow or prompt whose rules failed (a template syntax error, a duplicate id)
      // still yields its definition, so the checks across files report what else is wrong
      // (unknown personalities, undeclared globals) in the same pass; its errors keep it
      // from running. Other filetypes are read only when valid.
      if (rules.ok || filetype === 'taskflow' || filetype === 'prompt')
        definition = normalizeDefinition(checked, filetype, identity, rules.outputsByTask);
    }
    for (const issue of fileIssues) this.issues.add(issue);
    return { filetype, parsed: accepted, ...(definition && { definition }) };
  }
}
