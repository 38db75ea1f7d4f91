import { outputsValidator } from '../definitions/outputs-schema.js';
import { TaskflowError } from '../errors.js';
import { decodeResult, parseJsonText, type ResultSource } from './expand-items.js';

/** JSON when the text parses (also inside a ```json fence), else the text itself. */
export function valueFromText(text: string): unknown {
  const parsed = parseJsonText(text);
  return parsed.ok ? parsed.value : text;
}

/** The value of a tool result or answer: structured content, JSON, or text. */
export function valueFromSource(source: ResultSource): unknown {
  const decoded = decodeResult(source);
  return decoded.ok ? decoded.value : valueFromText(source.text);
}

type Validate = ((data: unknown) => boolean) & {
  errors?: { instancePath: string; message?: string }[] | null;
};
const compiled = new WeakMap<object, Validate>();

/**
 * Validate (and coerce, as seclab does) a value against a task's `outputs` schema.
 * Returns the possibly coerced value.
 * @throws TaskflowError 'output-invalid' naming the failing paths
 */
export function validateOutputs(
  value: unknown,
  schema: Readonly<Record<string, unknown>>,
  taskName: string,
): unknown {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = outputsValidator().compile(schema) as Validate;
    compiled.set(schema, validate);
  }
  // Ajv coerces nested values in place (a root scalar cannot be coerced); work on a copy.
  const data = structuredClone(value);
  if (validate(data)) return data;
  const problems = (validate.errors ?? [])
    .slice(0, 5)
    .map((error) => `${error.instancePath || '(root)'} ${error.message ?? 'is invalid'}`);
  throw new TaskflowError(
    'output-invalid',
    `task "${taskName}": the result does not match its outputs schema: ${problems.join('; ')}`,
  );
}
