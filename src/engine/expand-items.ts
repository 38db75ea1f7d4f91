import { TaskflowError } from '../errors.js';
import { preview } from '../text-preview.js';

/** What the previous work produced, as repeat_prompt sees it. */
export interface ResultSource {
  readonly text: string;
  readonly structuredContent?: unknown;
}

/** Decode a result: structured content if present, else the text parsed as JSON (fences allowed). */
export function decodeResult(source: ResultSource): { ok: true; value: unknown } | { ok: false } {
  const structured = source.structuredContent;
  if (structured !== undefined && structured !== null) {
    // MCP servers (FastMCP and the SDK's helpers) wrap a non-object return value as
    // {"result": value} in structuredContent; the value is what the tool returned.
    if (typeof structured === 'object' && !Array.isArray(structured)) {
      const keys = Object.keys(structured);
      if (keys.length === 1 && keys[0] === 'result') {
        return { ok: true, value: (structured as { result: unknown }).result };
      }
    }
    return { ok: true, value: structured };
  }
  return parseJsonText(source.text);
}

/**
 * Parse JSON text, also when it is wrapped in a Markdown code fence (```json ... ```), as
 * models often write it. The same decoding serves `outputs.<id>` values and repeat_prompt
 * items, so a list a task publishes is also a list the next task can iterate.
 */
export function parseJsonText(text: string): { ok: true; value: unknown } | { ok: false } {
  const fenced = /^\s*```(?:json)?\s*\n([\s\S]*?)\n\s*```\s*$/.exec(text);
  try {
    return { ok: true, value: JSON.parse(fenced?.[1] ?? text) as unknown };
  } catch {
    return { ok: false };
  }
}

/**
 * The items of a repeat_prompt task (execution.md): a JSON array gives its elements, an
 * object its keys (seclab compatibility), an empty array zero items. Strings, numbers and
 * invalid JSON are errors naming the task and showing the first 200 characters.
 */
export function itemsFromValue(
  value: unknown,
  where: { taskName: string; source: string },
  shownText?: string,
): unknown[] {
  if (Array.isArray(value)) return value;
  if (value !== null && typeof value === 'object') {
    return Object.keys(value);
  }
  const shown = shownText ?? JSON.stringify(value);
  throw new TaskflowError(
    'iterable-invalid',
    `task "${where.taskName}": repeat_prompt needs a JSON array or object from ${where.source}, got ${value === null ? 'null' : typeof value}: ${preview(shown ?? 'undefined')}`,
  );
}

/** Items from the most recent tool result of the run (the top of its result stack). */
export function itemsFromResult(source: ResultSource | undefined, taskName: string): unknown[] {
  if (!source) {
    throw new TaskflowError(
      'iterable-invalid',
      `task "${taskName}": repeat_prompt has nothing to iterate (no tool result or shell task output earlier in the run is left to iterate; add "over")`,
    );
  }
  const decoded = decodeResult(source);
  if (!decoded.ok) {
    throw new TaskflowError(
      'iterable-invalid',
      `task "${taskName}": repeat_prompt needs a JSON array or object from the last tool result, which is not JSON: ${preview(source.text)}`,
    );
  }
  return itemsFromValue(decoded.value, { taskName, source: 'the last tool result' }, source.text);
}
