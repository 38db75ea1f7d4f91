/**
 * Collects a child's stdout up to a byte limit. Past the limit nothing more is kept, so a
 * runaway script cannot grow the runner's memory while it is being stopped.
 */

const KIB = 1024;
const MIB = 1024 * 1024;

export class BoundedOutputBuffer {
  readonly maxBytes: number;
  readonly #chunks: Buffer[] = [];
  #byteCount = 0;
  #overflowed = false;

  constructor(maxBytes: number) {
    this.maxBytes = Math.max(0, maxBytes);
  }

  /** True once more than `maxBytes` were offered. */
  get overflowed(): boolean {
    return this.#overflowed;
  }

  /**
   * Keeps `chunk` if it fits. Returns false when the limit is (or already was) exceeded;
   * the kept bytes then stay as they were.
   */
  append(chunk: Buffer): boolean {
    if (this.#overflowed) return false;
    if (this.#byteCount + chunk.length > this.maxBytes) {
      this.#overflowed = true;
      return false;
    }
    this.#chunks.push(chunk);
    this.#byteCount += chunk.length;
    return true;
  }

  /** The kept bytes decoded as UTF-8 (decoded once, so split multi-byte characters survive). */
  text(): string {
    return Buffer.concat(this.#chunks, this.#byteCount).toString('utf8');
  }
}

/** 10485760 -> "10 MB", 1536 -> "1.5 KB", 1000 -> "1000 bytes". */
export function describeByteSize(byteCount: number): string {
  if (byteCount >= MIB) return `${Number((byteCount / MIB).toFixed(1))} MB`;
  if (byteCount >= KIB) return `${Number((byteCount / KIB).toFixed(1))} KB`;
  return `${byteCount} bytes`;
}
