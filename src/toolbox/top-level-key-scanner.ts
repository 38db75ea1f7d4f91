/**
 * Reads a JSON object in pieces, keeping only what identifies it: the value of its
 * top-level `"id"` and whether it has a top-level `"method"`. Memory stays constant however
 * long the text is, so a message too large to keep can still be answered or told apart.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** Longer keys are not "id" or "method"; longer id values are not kept. */
const MAX_KEY_CHARS = 16;
const MAX_ID_CHARS = 256;

type Phase = 'key' | 'colon' | 'value';

export class TopLevelKeyScanner {
  /** The top-level `"id"` (a number or string); undefined when absent, odd or too long. */
  id: string | number | undefined;
  /** A top-level `"method"` key was seen: a request or notification, not a response. */
  hasMethod = false;
  #depth = 0;
  #phase: Phase = 'key';
  #inString = false;
  #escaped = false;
  /** Characters of the top-level key being read; undefined when not reading one. */
  #key: string | undefined;
  #lastKey = '';
  /** Raw text of the top-level `"id"` value being read; undefined otherwise. */
  #idText: string | undefined;

  /** Feeds the next bytes of the text (UTF-8; multi-byte sequences never look like syntax). */
  feed(bytes: Uint8Array): void {
    let index = 0;
    while (index < bytes.length) {
      if (this.#inString && !this.#escaped && !this.#collecting()) {
        // Inside a string nobody reads (the bulk of a large result): jump to its next
        // quote or backslash.
        while (index < bytes.length && bytes[index] !== QUOTE && bytes[index] !== BACKSLASH) {
          index += 1;
        }
        if (index === bytes.length) return;
      }
      this.#step(bytes[index] ?? 0);
      index += 1;
    }
  }

  #collecting(): boolean {
    return this.#key !== undefined || this.#idText !== undefined;
  }

  #step(byte: number): void {
    if (this.#inString) {
      this.#collect(byte);
      if (this.#escaped) this.#escaped = false;
      else if (byte === BACKSLASH) this.#escaped = true;
      else if (byte === QUOTE) this.#endString();
      return;
    }
    if (byte === QUOTE) {
      this.#inString = true;
      if (this.#depth === 1 && this.#phase === 'key') this.#key = '';
      else this.#collect(byte);
      return;
    }
    if (this.#depth === 1) {
      if (byte === COLON && this.#phase === 'colon') {
        this.#phase = 'value';
        if (this.#lastKey === 'method') this.hasMethod = true;
        if (this.#lastKey === 'id') this.#idText = '';
        return;
      }
      if (byte === COMMA || byte === CLOSE_OBJECT) {
        this.#endValue();
        if (byte === CLOSE_OBJECT) this.#depth = 0;
        return;
      }
    }
    this.#collect(byte);
    if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) this.#depth += 1;
    else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) this.#depth -= 1;
  }

  #collect(byte: number): void {
    if (this.#key !== undefined && byte !== QUOTE) {
      this.#key =
        this.#key.length < MAX_KEY_CHARS ? this.#key + String.fromCharCode(byte) : this.#key;
    } else if (this.#idText !== undefined) {
      this.#idText =
        this.#idText.length < MAX_ID_CHARS ? this.#idText + String.fromCharCode(byte) : undefined;
    }
  }

  #endString(): void {
    this.#inString = false;
    if (this.#key !== undefined) {
      this.#lastKey = this.#key;
      this.#key = undefined;
      this.#phase = 'colon';
    }
  }

  #endValue(): void {
    if (this.#idText !== undefined) this.id = parseId(this.#idText);
    this.#idText = undefined;
    this.#lastKey = '';
    this.#phase = 'key';
  }
}

function parseId(text: string): string | number | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'number' || typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
