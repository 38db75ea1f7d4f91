/**
 * Frames newline-delimited JSON-RPC (the MCP stdio transport) with a bound on one message.
 * A line over the bound is not kept: its bytes are counted and scanned for the top-level
 * `id`, so the request it answers can still be failed with "result too large" while the
 * connection stays usable.
 */
import { deserializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { TopLevelKeyScanner } from './top-level-key-scanner.js';

/** The MCP SDK's own stdio limit: servers tested against SDK clients stay within it. */
export const MAX_STDIO_MESSAGE_BYTES = 10 * 1024 * 1024;

const NEWLINE = 0x0a;

export interface OversizedLine {
  /** Bytes of the line, newline excluded. */
  readonly bytes: number;
  readonly limitBytes: number;
  /** Its top-level `id`, when it had a readable one. */
  readonly id?: string | number;
  /** It had a top-level `method`: a request or notification from the server. */
  readonly hasMethod: boolean;
}

export type LineReadResult =
  | { readonly kind: 'message'; readonly message: JSONRPCMessage }
  | { readonly kind: 'invalid'; readonly error: unknown }
  | { readonly kind: 'oversized'; readonly line: OversizedLine };

export class JsonRpcLineReader {
  readonly #maxMessageBytes: number;
  #pieces: Buffer[] = [];
  #length = 0;
  /** Set while reading a line that passed the bound. */
  #scanner: TopLevelKeyScanner | undefined;

  constructor(maxMessageBytes = MAX_STDIO_MESSAGE_BYTES) {
    this.#maxMessageBytes = maxMessageBytes;
  }

  /** Feeds a chunk of stdout; returns what the lines it completed hold, in order. */
  push(chunk: Buffer): LineReadResult[] {
    const results: LineReadResult[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, offset);
      const end = newline === -1 ? chunk.length : newline;
      this.#take(chunk.subarray(offset, end));
      if (newline === -1) break;
      results.push(this.#completeLine());
      offset = newline + 1;
    }
    return results;
  }

  /** Forgets a partial line. */
  clear(): void {
    this.#pieces = [];
    this.#length = 0;
    this.#scanner = undefined;
  }

  #take(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.#scanner === undefined && this.#length + piece.length <= this.#maxMessageBytes) {
      this.#pieces.push(piece);
      this.#length += piece.length;
      return;
    }
    if (this.#scanner === undefined) {
      this.#scanner = new TopLevelKeyScanner();
      for (const kept of this.#pieces) this.#scanner.feed(kept);
      this.#pieces = [];
    }
    this.#scanner.feed(piece);
    this.#length += piece.length;
  }

  #completeLine(): LineReadResult {
    const scanner = this.#scanner;
    const length = this.#length;
    const pieces = this.#pieces;
    this.clear();
    if (scanner !== undefined) {
      return {
        kind: 'oversized',
        line: {
          bytes: length,
          limitBytes: this.#maxMessageBytes,
          ...(scanner.id !== undefined && { id: scanner.id }),
          hasMethod: scanner.hasMethod,
        },
      };
    }
    const line = Buffer.concat(pieces, length).toString('utf8').replace(/\r$/, '');
    try {
      return { kind: 'message', message: deserializeMessage(line) };
    } catch (error) {
      return { kind: 'invalid', error };
    }
  }
}
