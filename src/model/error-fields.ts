/**
 * Reading fields of thrown values defensively. Free of the openai SDK, so code on paths
 * that never call a model (a run of shell tasks, `validate`) can use it without loading
 * the SDK; error-facts.ts re-exports these.
 */
const maxCauseDepth = 5;

/** The error, its causes and aggregated errors, breadth first, at most `maxCauseDepth` levels. */
export function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let level: unknown[] = [error];
  for (let depth = 0; depth <= maxCauseDepth && level.length > 0; depth += 1) {
    const next: unknown[] = [];
    for (const item of level) {
      if (item === undefined || item === null || chain.includes(item)) continue;
      chain.push(item);
      if (typeof item !== 'object') continue;
      const cause = (item as { cause?: unknown }).cause;
      if (cause !== undefined) next.push(cause);
      const errors = (item as { errors?: unknown }).errors;
      if (Array.isArray(errors)) next.push(...(errors as unknown[]));
    }
    level = next;
  }
  return chain;
}

export function fieldOf(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)[name]
    : undefined;
}

export function messageOf(value: unknown): string {
  if (value instanceof Error) return value.message;
  const message = fieldOf(value, 'message');
  return typeof message === 'string' ? message : String(value);
}
