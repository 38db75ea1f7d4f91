/** The Python type a JSON value becomes in seclab's servers (`json.loads`, pydantic `Any`). */
export type PythonType = 'NoneType' | 'bool' | 'int' | 'float' | 'str' | 'list' | 'dict';

export function pythonType(value: unknown): PythonType {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'string') return 'str';
  return Array.isArray(value) ? 'list' : 'dict';
}

/** Types whose values have Python's `__add__` (`None` and `dict` have not). */
export function hasPythonAdd(type: PythonType): boolean {
  return type !== 'NoneType' && type !== 'dict';
}

const NUMERIC: ReadonlySet<PythonType> = new Set(['bool', 'int', 'float']);

/**
 * Python's `left + right` for JSON values: numbers (bools count as 0/1) sum, strings and
 * lists concatenate. @returns `{ ok: false }` where Python raises TypeError.
 */
export function pythonPlus(
  left: unknown,
  right: unknown,
): { readonly ok: true; readonly value: unknown } | { readonly ok: false } {
  const leftType = pythonType(left);
  const rightType = pythonType(right);
  if (NUMERIC.has(leftType) && NUMERIC.has(rightType)) {
    return { ok: true, value: Number(left) + Number(right) };
  }
  if (leftType === 'str' && rightType === 'str') {
    return { ok: true, value: String(left) + String(right) };
  }
  if (leftType === 'list' && rightType === 'list') {
    return { ok: true, value: [...(left as unknown[]), ...(right as unknown[])] };
  }
  return { ok: false };
}
