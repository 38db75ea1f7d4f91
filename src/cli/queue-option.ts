import { TaskflowError } from '../errors.js';
import type { QueueConnection } from '../queue/queue-connection.js';
import type { RuntimeContext } from './runtime-context.js';

/** The flags a queue run cannot be combined with, as the user wrote them. */
export interface QueueConflicts {
  readonly untilFanout?: boolean;
  readonly shard?: string;
  readonly record?: string;
  readonly replay?: string;
}

/**
 * `--queue <url>` (else `TASKFLOW_QUEUE`) checked against the other flags and connected;
 * undefined when neither is set. A queue run hands every fan-out to workers, so it cannot
 * also plan or shard, and workers have no cassette to record to or replay from.
 *
 * @throws TaskflowError 'usage' for a bad URL or a conflicting flag, 'config' (exit 78)
 *   when Redis cannot be reached
 */
export async function openQueueOption(
  context: RuntimeContext,
  flag: string | undefined,
  conflicts: QueueConflicts,
): Promise<QueueConnection | undefined> {
  const fromEnvironment = flag === undefined;
  const value = flag ?? context.environment.TASKFLOW_QUEUE;
  if (value === undefined || value === '') return undefined;
  const conflicting = conflicts.untilFanout
    ? '--until-fanout'
    : conflicts.shard !== undefined
      ? '--shard'
      : conflicts.record !== undefined
        ? '--record'
        : conflicts.replay !== undefined
          ? '--replay'
          : undefined;
  const source = fromEnvironment ? 'TASKFLOW_QUEUE' : '--queue';
  if (conflicting) {
    throw new TaskflowError('usage', `${source} cannot be combined with ${conflicting}`);
  }
  const { parseRedisUrl } = await import('../queue/redis-url.js');
  const url = parseRedisUrl(value, source);
  const { connectQueue } = await import('../queue/queue-connection.js');
  return connectQueue(url);
}
