import { createRequire } from 'node:module';
import { closestMatches, didYouMean } from './did-you-mean.js';

/**
 * Task `outputs`: a JSON Schema (2020-12), or — for seclab-taskflow-agent compatibility —
 * its compact type spec (`{functions: {type: list, items: {name: str}}}`), converted here.
 */

const JSON_SCHEMA_KEYWORDS = new Set([
  '$schema',
  '$id',
  '$ref',
  '$defs',
  '$comment',
  'definitions',
  'title',
  'description',
  'default',
  'examples',
  'type',
  'properties',
  'patternProperties',
  'additionalProperties',
  'required',
  'items',
  'prefixItems',
  'contains',
  'minItems',
  'maxItems',
  'uniqueItems',
  'enum',
  'const',
  'oneOf',
  'anyOf',
  'allOf',
  'not',
  'if',
  'then',
  'else',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minProperties',
  'maxProperties',
  'propertyNames',
  'dependentRequired',
  'dependentSchemas',
  'unevaluatedProperties',
  'unevaluatedItems',
  'nullable',
]);
const JSON_TYPES = new Set(['object', 'array', 'string', 'number', 'integer', 'boolean', 'null']);

const SCALARS: Record<string, Record<string, unknown>> = {
  str: { type: 'string' },
  string: { type: 'string' },
  int: { type: 'integer' },
  integer: { type: 'integer' },
  float: { type: 'number' },
  number: { type: 'number' },
  bool: { type: 'boolean' },
  boolean: { type: 'boolean' },
  any: {},
  list: { type: 'array' },
  dict: { type: 'object' },
  object: { type: 'object' },
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** True when `outputs` reads as JSON Schema rather than a seclab type spec. */
export function isJsonSchema(outputs: Record<string, unknown>): boolean {
  const keys = Object.keys(outputs);
  if (keys.includes('$schema')) return true;
  const type = outputs.type;
  const types = type === undefined ? [] : Array.isArray(type) ? type : [type];
  const jsonTypes = types.every((entry) => typeof entry === 'string' && JSON_TYPES.has(entry));
  // With a JSON `type`, a misspelt keyword (`propertes`) still means JSON Schema, so the
  // schema check reports the typo instead of reading it as a field of a seclab spec.
  const keyword = (key: string) =>
    JSON_SCHEMA_KEYWORDS.has(key) ||
    (type !== undefined && closestMatches(key, JSON_SCHEMA_KEYWORDS).length > 0);
  if (keys.length === 0 || !keys.every(keyword)) return false;
  return jsonTypes;
}

export class OutputsSpecError extends Error {
  constructor(
    message: string,
    readonly fieldPath: readonly (string | number)[],
  ) {
    super(message);
  }
}

function convertSpec(
  spec: unknown,
  at: (string | number)[],
): { schema: Record<string, unknown>; optional: boolean } {
  if (typeof spec === 'string') {
    const optional = spec.trim().endsWith('?');
    const name = spec.trim().replace(/\?$/, '');
    const list = /^list\[(.+)\]$/.exec(name);
    if (list?.[1])
      return { schema: { type: 'array', items: convertSpec(list[1], at).schema }, optional };
    const scalar = SCALARS[name];
    if (!scalar) {
      throw new OutputsSpecError(
        `unknown type ${JSON.stringify(name)} (one of: ${Object.keys(SCALARS).join(', ')}, list[T])${didYouMean(name, Object.keys(SCALARS))}`,
        at,
      );
    }
    return { schema: { ...scalar }, optional };
  }
  if (!isRecord(spec)) throw new OutputsSpecError(`expected a type name or a mapping`, at);
  if (spec.type === 'list' || spec.type === 'array') {
    const items = spec.items === undefined ? {} : convertSpec(spec.items, [...at, 'items']).schema;
    return { schema: { type: 'array', items }, optional: spec.optional === true };
  }
  if (spec.type === 'object' && isRecord(spec.fields)) {
    return {
      schema: convertFields(spec.fields, [...at, 'fields']),
      optional: spec.optional === true,
    };
  }
  return { schema: convertFields(spec, at), optional: false };
}

function convertFields(
  fields: Record<string, unknown>,
  at: (string | number)[],
): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const [name, spec] of Object.entries(fields)) {
    const converted = convertSpec(spec, [...at, name]);
    properties[name] = converted.schema;
    if (!converted.optional) required.push(name);
  }
  return { type: 'object', properties, required };
}

/** Convert (if needed) to JSON Schema. Throws OutputsSpecError with the offending sub-path. */
export function toJsonSchema(outputs: Record<string, unknown>): Record<string, unknown> {
  return isJsonSchema(outputs) ? outputs : convertFields(outputs, []);
}

type AjvInstance = { compile(schema: unknown): unknown };
let ajv: AjvInstance | undefined;

/** The shared Ajv (2020-12) instance, loaded on first use (it costs ~50 ms to import). */
export function outputsValidator(): AjvInstance {
  if (!ajv) {
    const require = createRequire(import.meta.url);
    const module = require('ajv/dist/2020.js') as { default: new (options: object) => AjvInstance };
    ajv = new module.default({
      allErrors: true,
      strictSchema: true,
      strictTypes: false,
      strictTuples: false,
      strictRequired: false,
      validateFormats: false,
      coerceTypes: true,
    });
  }
  return ajv;
}

/** What is wrong with a JSON Schema, and where inside it (path of the offending value). */
export interface JsonSchemaProblem {
  readonly message: string;
  readonly fieldPath: readonly (string | number)[];
  /** The path names a key (an unknown keyword), not a value. */
  readonly key: boolean;
}

interface AjvError {
  readonly instancePath?: string;
  readonly message?: string;
  readonly params?: { readonly allowedValues?: unknown[] };
}

/** Check that a JSON Schema compiles; returns the problem or undefined. */
export function checkJsonSchema(schema: Record<string, unknown>): JsonSchemaProblem | undefined {
  try {
    outputsValidator().compile(schema);
    return undefined;
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    // Meta-schema violations carry ajv's `errors`, each with a JSON Pointer into the schema.
    const first = (error as { errors?: AjvError[] }).errors?.[0];
    if (first?.message) {
      const allowed = first.params?.allowedValues;
      const values = Array.isArray(allowed) ? ` (${allowed.map(String).join(', ')})` : '';
      return {
        message: `${first.message}${values}`,
        fieldPath: pointerPath(schema, first.instancePath ?? ''),
        key: false,
      };
    }
    const unknown = /unknown keyword: "([^"]+)"/.exec(text)?.[1];
    if (unknown !== undefined) {
      return {
        message: `unknown keyword "${unknown}"${didYouMean(unknown, JSON_SCHEMA_KEYWORDS)}`,
        fieldPath: findKey(schema, unknown) ?? [],
        key: true,
      };
    }
    return { message: text, fieldPath: [], key: false };
  }
}

/** JSON Pointer (`/properties/a/items/0`) -> field path, with list indexes as numbers. */
function pointerPath(root: unknown, pointer: string): (string | number)[] {
  const fieldPath: (string | number)[] = [];
  let node = root;
  for (const escaped of pointer.split('/').slice(1)) {
    const part = escaped.replace(/~1/g, '/').replace(/~0/g, '~');
    const segment = Array.isArray(node) && /^\d+$/.test(part) ? Number(part) : part;
    fieldPath.push(segment);
    node =
      node !== null && typeof node === 'object'
        ? (node as Record<string | number, unknown>)[segment]
        : undefined;
  }
  return fieldPath;
}

/** Path of the first mapping key named `key` (depth first), for keywords ajv names without a path. */
function findKey(node: unknown, key: string): (string | number)[] | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  const entries: [string | number, unknown][] = Array.isArray(node)
    ? node.map((child, index) => [index, child])
    : Object.entries(node);
  if (!Array.isArray(node) && Object.hasOwn(node, key)) return [key];
  for (const [name, child] of entries) {
    const below = findKey(child, key);
    if (below) return [name, ...below];
  }
  return undefined;
}
