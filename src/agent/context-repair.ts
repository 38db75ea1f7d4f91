/**
 * Conversation repair for context overflow (resilience.md row 12): shorten the oldest tool
 * results and ask again, at most `CONTEXT_REPAIRS_PER_TURN` times per logical turn. Each
 * re-ask goes through the model caller with the same request key, so it spends the
 * request's attempt budget (the 12-attempt cap) like any retry.
 */
import type { ConversationItem, ModelResponse } from '../model/types.js';
import { ModelError } from '../model/model-error.js';

/** Re-asks after a context overflow within one logical turn. */
export const CONTEXT_REPAIRS_PER_TURN = 2;
/** A shortened tool result keeps at least this many characters of its start. */
export const MIN_KEPT_TOOL_RESULT_CHARS = 200;
/** Cutting less than this from an untouched result would not pay for the marker. */
const MIN_CUT_CHARS = 100;

const markerPattern = /\n\[truncated by taskflow: (\d+) characters removed to fit the context\]$/;

function marker(removedChars: number): string {
  return `\n[truncated by taskflow: ${removedChars} characters removed to fit the context]`;
}

/** A tool result split into the text still kept and what earlier repairs removed. */
function splitMarker(content: string): { kept: string; removedChars: number } {
  const match = markerPattern.exec(content);
  if (match === null) return { kept: content, removedChars: 0 };
  return { kept: content.slice(0, match.index), removedChars: Number(match[1]) };
}

/** The first `length` UTF-16 units, not ending inside a surrogate pair. */
function prefix(text: string, length: number): string {
  const code = text.charCodeAt(length - 1);
  const splitsPair = code >= 0xd800 && code <= 0xdbff;
  return text.slice(0, splitsPair ? length - 1 : length);
}

export interface ShortenOutcome {
  /** Tool results whose content was shortened. */
  readonly shortened: number;
  /** Characters removed by this call. */
  readonly removedChars: number;
}

/**
 * Halves the text the conversation keeps of its tool results, cutting the oldest first:
 * each tool result is cut from its end down to `MIN_KEPT_TOOL_RESULT_CHARS` before a newer
 * one is touched. A shortened result ends with "[truncated by taskflow: N characters removed
 * to fit the context]" (N counts every repair of that result). Replaces items of
 * `conversation` in place; returns what it removed (0 when nothing can be shortened).
 */
export function shortenOldestToolResults(conversation: ConversationItem[]): ShortenOutcome {
  const tools = conversation.flatMap((item, index) =>
    item.role === 'tool' ? [{ index, item, ...splitMarker(item.content) }] : [],
  );
  const keptTotal = tools.reduce((sum, tool) => sum + tool.kept.length, 0);
  let toRemove = Math.ceil(keptTotal / 2);
  let shortened = 0;
  let removedChars = 0;
  for (const tool of tools) {
    if (toRemove <= 0) break;
    const cut = Math.min(tool.kept.length - MIN_KEPT_TOOL_RESULT_CHARS, toRemove);
    if (cut <= 0 || (cut < MIN_CUT_CHARS && tool.removedChars === 0)) continue;
    const kept = prefix(tool.kept, tool.kept.length - cut);
    const removed = tool.kept.length - kept.length;
    conversation[tool.index] = {
      ...tool.item,
      content: `${kept}${marker(tool.removedChars + removed)}`,
    };
    toRemove -= removed;
    removedChars += removed;
    shortened += 1;
  }
  return { shortened, removedChars };
}

function isContextOverflow(error: unknown): error is ModelError {
  return error instanceof ModelError && error.classification.errorClass === 'context-overflow';
}

/**
 * Asks (`ask` sends `conversation` as it is at the call) and repairs context overflows:
 * shorten the oldest tool results, call `onRepair`, ask again. Rethrows other errors as
 * they are. An overflow after `CONTEXT_REPAIRS_PER_TURN` repairs, or one with no tool result
 * left to shorten, fails with a `ModelError` (code `model`, class `context-overflow`) that
 * says so.
 */
export async function askWithContextRepair(
  ask: () => Promise<ModelResponse>,
  conversation: ConversationItem[],
  onRepair: (repair: ShortenOutcome & { readonly repair: number }) => void,
): Promise<ModelResponse> {
  for (let repair = 1; ; repair += 1) {
    try {
      return await ask();
    } catch (error) {
      if (!isContextOverflow(error)) throw error;
      if (repair > CONTEXT_REPAIRS_PER_TURN) {
        throw new ModelError(
          `${error.message}; still too long after ${CONTEXT_REPAIRS_PER_TURN} repairs that shortened the oldest tool results`,
          error.classification,
          { cause: error },
        );
      }
      const outcome = shortenOldestToolResults(conversation);
      if (outcome.removedChars === 0) {
        throw new ModelError(
          `${error.message}; no tool result is left to shorten`,
          error.classification,
          { cause: error },
        );
      }
      onRepair({ ...outcome, repair });
    }
  }
}
