/**
 * The token cost of a request, estimated before it is sent: about four characters per
 * token over everything the request carries (instructions, conversation, tool schemas),
 * plus its output cap. Deliberately rough and cheap — the pacer scales it by what answers'
 * `usage` reports, and a tokenizer would cost more start-up time than it saves.
 */

const CHARS_PER_TOKEN = 4;
/** Keys, quotes and punctuation of a structured value, per entry. */
const OVERHEAD_PER_ENTRY = 2;
/** Nesting deeper than this is counted as its serialized size would not matter. */
const MAX_DEPTH = 32;

/** Characters of text in a JSON-like value, without serializing it. */
export function textLength(value: unknown, depth = 0): number {
  if (typeof value === 'string') return value.length;
  if (typeof value === 'number' || typeof value === 'boolean') return 4;
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return 0;
  let total = 0;
  if (Array.isArray(value)) {
    for (const item of value) total += OVERHEAD_PER_ENTRY + textLength(item, depth + 1);
    return total;
  }
  for (const [key, item] of Object.entries(value)) {
    total += OVERHEAD_PER_ENTRY + key.length + textLength(item, depth + 1);
  }
  return total;
}

/** Output caps as the chat completions and responses APIs spell them. */
const outputCapKeys = ['max_completion_tokens', 'max_tokens', 'max_output_tokens'] as const;

/**
 * `inputTokens` from the request's text (`settings` excluded: they are not tokens) and
 * `maxOutputTokens` from its settings, when one of the output caps is a positive integer.
 */
export function estimateRequestTokens(request: {
  readonly instructions?: string;
  readonly conversation?: readonly unknown[];
  readonly tools?: readonly unknown[];
  readonly settings?: Readonly<Record<string, unknown>>;
}): { inputTokens: number; maxOutputTokens?: number } {
  const chars =
    (request.instructions?.length ?? 0) +
    textLength(request.conversation ?? []) +
    textLength(request.tools ?? []);
  const inputTokens = Math.ceil(chars / CHARS_PER_TOKEN);
  for (const key of outputCapKeys) {
    const cap = request.settings?.[key];
    if (typeof cap === 'number' && Number.isInteger(cap) && cap > 0) {
      return { inputTokens, maxOutputTokens: cap };
    }
  }
  return { inputTokens };
}
