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
      // Compiling the 2020-12 meta-schema costs ~70 ms; strict mode still rejects unknown
      // keywords and bad types when the schema itself is compiled.
      validateSchema: false,
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

/** Check that a JSON Schema compiles; returns the problem or undefined. */
export function checkJsonSchema(schema: Record<string, unknown>): JsonSchemaProblem | undefined {
  try {
    outputsValidator().compile(schema);
    return undefined;
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    return describeCompileError(schema, text);
  }
}

/** ajv (without meta-schema validation) names the keyword but not where it is; find it. */
function describeCompileError(schema: Record<string, unknown>, text: string): JsonSchemaProblem {
  const unknown = /unknown keyword: "([^"]+)"/.exec(text)?.[1];
  if (unknown !== undefined) {
    return {
      message: `unknown keyword "${unknown}"${didYouMean(unknown, JSON_SCHEMA_KEYWORDS)}`,
      fieldPath: findKey(schema, unknown) ?? [],
      key: true,
    };
  }
  if (text.startsWith('type must be JSONType')) {
    // A property named "type" (`properties: {type: {...}}`) holds a schema, not a type.
    const fieldPath = findKey(
      schema,
      'type',
      (value) => !isJsonTypeValue(value) && (Array.isArray(value) || typeof value !== 'object'),
    );
    if (fieldPath) {
      const types = [...JSON_TYPES].join(', ');
      const got = JSON.stringify(valueAtPath(schema, fieldPath));
      return {
        message: `"type" must be one of ${types} (or a list of them), got ${got}`,
        fieldPath,
        key: false,
      };
    }
  }
  const wrongType = /^(\$?\w+) value must be \[(.*)\]$/.exec(text);
  if (wrongType?.[1] && wrongType[2]) {
    const keyword = wrongType[1];
    const allowed = wrongType[2].split(',').map((name) => name.replace(/"/g, '').trim());
    const fieldPath = findKey(schema, keyword, (value) => !allowed.includes(jsonTypeOf(value)));
    if (fieldPath) {
      const got = JSON.stringify(valueAtPath(schema, fieldPath));
      return {
        message: `"${keyword}" must be ${allowed.map((name) => YAML_TYPE_NAMES[name] ?? `a ${name}`).join(' or ')}, got ${got}`,
        fieldPath,
        key: false,
      };
    }
  }
  return { message: text, fieldPath: [], key: false };
}

/** ajv's JSON type names as a YAML author reads them. */
const YAML_TYPE_NAMES: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  integer: 'an integer',
};

function isJsonTypeValue(value: unknown): boolean {
  const types = Array.isArray(value) ? value : [value];
  return (
    types.length > 0 && types.every((entry) => typeof entry === 'string' && JSON_TYPES.has(entry))
  );
}

function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function valueAtPath(root: unknown, fieldPath: readonly (string | number)[]): unknown {
  let node = root;
  for (const segment of fieldPath) {
    node =
      node !== null && typeof node === 'object'
        ? (node as Record<string | number, unknown>)[segment]
        : undefined;
  }
  return node;
}

/** Path of the first mapping key named `key` (depth first) whose value passes `test`. */
function findKey(
  node: unknown,
  key: string,
  test: (value: unknown) => boolean = () => true,
): (string | number)[] | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  const entries: [string | number, unknown][] = Array.isArray(node)
    ? node.map((child, index) => [index, child])
    : Object.entries(node);
  if (
    !Array.isArray(node) &&
    Object.hasOwn(node, key) &&
    test((node as Record<string, unknown>)[key])
  )
    return [key];
  for (const [name, child] of entries) {
    const below = findKey(child, key, test);
    if (below) return [name, ...below];
  }
  return undefined;
}
