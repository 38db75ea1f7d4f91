/**
 * The queue's libraries, loaded on first use (only `--queue` and `worker` need them). In the
 * bundle their CommonJS builds arrive as one default export; unbundled (tsc's output, which
 * the unit tests import) Node hands over the named exports. Both forms are accepted here.
 */
import type * as BullmqModule from 'bullmq';
import type { Redis } from 'ioredis';

type Bullmq = typeof BullmqModule;
type RedisClass = typeof Redis;

export async function loadBullmq(): Promise<Bullmq> {
  const loaded = (await import('bullmq')) as Bullmq & { default?: Bullmq };
  return typeof loaded.Queue === 'function' ? loaded : loaded.default;
}

export async function loadRedis(): Promise<RedisClass> {
  const loaded = (await import('ioredis')) as unknown as {
    Redis?: RedisClass;
    default?: RedisClass;
  };
  const Redis = loaded.Redis ?? loaded.default;
  if (typeof Redis !== 'function') throw new Error('ioredis did not load');
  return Redis;
}
