/**
 * Converts an MCP tool result into the text a model receives. Kept free of SDK imports:
 * it reads the wire shape, so results from any source (recorded, replayed) work.
 */

/** The parts of a `tools/call` result that matter here (wire shape, loosely typed). */
export interface ToolResultLike {
  content?: readonly unknown[];
  structuredContent?: unknown;
  /** Pre-2025 servers may answer with `toolResult` instead of `content`. */
  toolResult?: unknown;
}

/**
 * Text parts are joined with "\n" in order; images and audio become
 * `[image image/png, 1234 bytes]`; an embedded resource becomes a
 * `[resource <uri> <mime>, N bytes]` line followed by its text when it has text (binary
 * blobs are only described); a resource link becomes `[resource link <uri> ...]`.
 * `structuredContent` is added as JSON only when there is no text part (servers that send
 * both duplicate the JSON in a text part, per the MCP spec).
 */
export function toolResultToText(result: ToolResultLike): string {
  const content = Array.isArray(result.content) ? result.content : [];
  const parts: string[] = [];
  let hasText = false;
  for (const block of content) {
    if (isRecord(block) && block.type === 'text' && typeof block.text === 'string') {
      hasText = true;
      parts.push(block.text);
    } else {
      parts.push(...describeBlock(block));
    }
  }
  if (!hasText && result.structuredContent !== undefined) {
    parts.push(JSON.stringify(result.structuredContent));
  }
  if (
    content.length === 0 &&
    result.structuredContent === undefined &&
    result.toolResult !== undefined
  ) {
    parts.push(
      typeof result.toolResult === 'string' ? result.toolResult : JSON.stringify(result.toolResult),
    );
  }
  return parts.join('\n');
}

function describeBlock(block: unknown): string[] {
  if (!isRecord(block)) return ['[unknown content]'];
  const type = typeof block.type === 'string' ? block.type : 'unknown';
  switch (type) {
    case 'image':
    case 'audio':
      return [describe(type, [text(block.mimeType)], base64Bytes(block.data))];
    case 'resource': {
      const resource = isRecord(block.resource) ? block.resource : {};
      const words = [text(resource.uri), text(resource.mimeType)];
      if (typeof resource.text === 'string') {
        return [
          describe('resource', words, Buffer.byteLength(resource.text, 'utf8')),
          resource.text,
        ];
      }
      return [describe('resource', words, base64Bytes(resource.blob))];
    }
    case 'resource_link': {
      const name = typeof block.name === 'string' ? `(${block.name})` : undefined;
      const size = typeof block.size === 'number' ? block.size : undefined;
      return [describe('resource link', [text(block.uri), name, text(block.mimeType)], size)];
    }
    default:
      return [`[${type} content]`];
  }
}

function describe(label: string, words: (string | undefined)[], bytes: number | undefined): string {
  const head = [
    label,
    ...words.filter((word): word is string => word !== undefined && word !== ''),
  ];
  return `[${head.join(' ')}${bytes === undefined ? '' : `, ${bytes} bytes`}]`;
}

function base64Bytes(data: unknown): number | undefined {
  return typeof data === 'string' ? Buffer.byteLength(data, 'base64') : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
