import type { ToolResultRecord } from '../agent/types.js';
import type { ItemReplay, TaskReplay } from './replay.js';

/** The MCP results an item's recorded turns received, in turn and call order. */
export function itemToolResults(item: ItemReplay): ToolResultRecord[] {
  const results: ToolResultRecord[] = [];
  for (const turn of item.turns) {
    for (const call of turn.message.toolCalls) {
      const record = turn.toolResults.get(call.id)?.record;
      if (record) results.push(record);
    }
  }
  return results;
}

/**
 * The MCP results a task's items received, item by item in item order: what the task
 * pushed on the run's result stack (repeat_prompt reads its top).
 */
export function taskToolResults(task: TaskReplay): ToolResultRecord[] {
  return [...task.itemStates.entries()]
    .sort(([a], [b]) => a - b)
    .flatMap(([, item]) => itemToolResults(item));
}
