/**
 * Model text collected per (taskIndex, itemIndex) until the turn ends, so a message is
 * printed once, whole, and a retried turn's partial text can be dropped.
 */

export interface BufferedMessage {
  readonly taskIndex: number;
  readonly itemIndex: number;
  readonly agent: string;
  readonly text: string;
}

interface Pending {
  readonly taskIndex: number;
  readonly itemIndex: number;
  agent: string;
  chunks: string[];
}

export class MessageBuffer {
  readonly #pending = new Map<string, Pending>();

  append(taskIndex: number, itemIndex: number, agent: string, text: string): void {
    const key = keyOf(taskIndex, itemIndex);
    const pending = this.#pending.get(key);
    if (pending === undefined) {
      this.#pending.set(key, { taskIndex, itemIndex, agent, chunks: [text] });
      return;
    }
    pending.agent = agent;
    pending.chunks.push(text);
  }

  has(taskIndex: number, itemIndex: number): boolean {
    return this.#pending.has(keyOf(taskIndex, itemIndex));
  }

  /** Remove and return the item's text; undefined when nothing was buffered. */
  take(taskIndex: number, itemIndex: number): BufferedMessage | undefined {
    const key = keyOf(taskIndex, itemIndex);
    const pending = this.#pending.get(key);
    if (pending === undefined) return undefined;
    this.#pending.delete(key);
    return {
      taskIndex: pending.taskIndex,
      itemIndex: pending.itemIndex,
      agent: pending.agent,
      text: pending.chunks.join(''),
    };
  }

  /** Remove and return every buffered message of one task (all tasks when omitted). */
  takeAll(taskIndex?: number): BufferedMessage[] {
    const taken: BufferedMessage[] = [];
    for (const pending of [...this.#pending.values()]) {
      if (taskIndex !== undefined && pending.taskIndex !== taskIndex) continue;
      const message = this.take(pending.taskIndex, pending.itemIndex);
      if (message !== undefined) taken.push(message);
    }
    return taken;
  }

  /** Drop the item's partial text (the turn is being retried). */
  discard(taskIndex: number, itemIndex: number): boolean {
    return this.#pending.delete(keyOf(taskIndex, itemIndex));
  }
}

function keyOf(taskIndex: number, itemIndex: number): string {
  return `${taskIndex}.${itemIndex}`;
}
