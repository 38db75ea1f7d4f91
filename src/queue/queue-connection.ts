import type { ConnectionOptions, Queue } from 'bullmq';
import type { Redis, RedisOptions } from 'ioredis';
import { errorMessage, TaskflowError } from '../errors.js';
import { loadBullmq, loadRedis } from './load-libraries.js';
import { BRANCH_QUEUE } from './queue-keys.js';
import { RedisPacerStore } from './redis-pacer-store.js';
import { settleWithin } from '../toolbox/settle-within.js';
import type { RedisConnectionOptions, RedisUrl } from './redis-url.js';

/** How long a first connection may take before the queue counts as unreachable. */
const CONNECT_TIMEOUT_MS = 5_000;

/** How long closing may wait for Redis to acknowledge. */
const CLOSE_MS = 2_000;

/** A process's connections to the queue: commands, blocking reads, the BullMQ queue. */
export interface QueueConnection {
  readonly url: RedisUrl;
  /** Commands (records, contexts); never blocked. */
  readonly redis: Redis;
  /** For blocking reads (the coordinator's doorbell). */
  readonly reader: Redis;
  /** Pacing budgets shared by every process on this queue. */
  readonly pacerStore: RedisPacerStore;
  /** The branch queue (made on first use: a worker needs none). */
  queue(): Promise<Queue>;
  close(): Promise<void>;
}

/** ioredis options for `url`: commands fail fast while Redis is away (the caller decides). */
export function redisOptions(url: RedisConnectionOptions): RedisOptions {
  return {
    host: url.host,
    port: url.port,
    db: url.db,
    ...(url.username !== undefined && { username: url.username }),
    ...(url.password !== undefined && { password: url.password }),
    ...(url.tls !== undefined && { tls: {} }),
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(100 * 2 ** times, 2_000),
  };
}

/**
 * Connects to the queue at `url`.
 *
 * @throws TaskflowError 'config' (exit 78) naming the URL when Redis cannot be reached
 */
export async function connectQueue(url: RedisUrl): Promise<QueueConnection> {
  const Redis = await loadRedis();
  const open = async (): Promise<Redis> => {
    // No command of these clients waits long in Redis (XREAD blocks 1 s): a reply that
    // takes longer means Redis is gone, and the caller decides what that means.
    const client = new Redis({ ...redisOptions(url), lazyConnect: true, commandTimeout: 5_000 });
    // Errors surface through the commands; unhandled 'error' events would crash the process.
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      return client;
    } catch (error) {
      client.disconnect();
      throw new TaskflowError(
        'config',
        `cannot reach the queue at ${url.display}: ${errorMessage(error)}`,
        { cause: error },
      );
    }
  };
  const redis = await open();
  let reader: Redis;
  try {
    reader = await open();
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  let queue: Promise<Queue> | undefined;
  const pacerStore = new RedisPacerStore(redis);
  return {
    url,
    redis,
    reader,
    pacerStore,
    queue() {
      queue ??= loadBullmq().then(({ Queue }) => {
        const made = new Queue(BRANCH_QUEUE, {
          connection: { ...redisOptions(url), maxRetriesPerRequest: null } as ConnectionOptions,
        });
        made.on('error', () => undefined);
        return made;
      });
      return queue;
    },
    async close() {
      // Bounded: with Redis gone, a polite close would wait for it forever.
      const made = await queue?.catch(() => undefined);
      if (made && !(await settleWithin(made.close(), CLOSE_MS))) {
        await settleWithin(made.disconnect(), CLOSE_MS);
      }
      pacerStore.close();
      reader.disconnect();
      if (!(await settleWithin(redis.quit(), CLOSE_MS))) redis.disconnect();
    },
  };
}
