import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** A tool result of one text part; `isError` marks a failure the model should read. */
export function textResult(text: string, isError = false): CallToolResult {
  const content: CallToolResult['content'] = [{ type: 'text', text }];
  return isError ? { content, isError } : { content };
}
