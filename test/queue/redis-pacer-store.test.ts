import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TaskflowError } from '../../src/errors.js';
import {
  PACER_KEY_PREFIX,
  PACER_STATE_TTL_MS,
  RedisPacerStore,
} from '../../src/queue/redis-pacer-store.js';
import { parseRedisUrl } from '../../src/queue/redis-url.js';
import type { PacerDemand, PacerTicket, TakeResult } from '../../src/resilience/pacer-budget.js';
import { readRateLimitAnswer } from '../../src/resilience/pacer-headers.js';
import { pacerKey } from '../../src/resilience/pacer-registry.js';
import { InMemoryPacerStore, type PacerStore } from '../../src/resilience/pacer-store.js';
import { startRedisServer, type RedisServer } from '../fakes/redis-server.js';

const DAY_MS = 86_400_000;
const T0 = 1_700_000_000_000;
const key = pacerKey({ endpoint: 'http://127.0.0.1:9/v1', model: 'gpt-x', credential: 'sk-1' });
const demand: PacerDemand = { inputTokens: 10, concurrencyLimit: 1000 };

function ticketOf(result: TakeResult): PacerTicket {
  if (!result.granted) throw new Error(`not granted: ${result.reason}`);
  return result.ticket;
}

describe('RedisPacerStore', () => {
  let server: RedisServer;
  const clients: Redis[] = [];

  beforeEach(async () => {
    server = await startRedisServer();
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.disconnect();
    await server.stop();
  });

  /** A client on a connection of its own (what each worker process has). */
  function connect(options: { offline?: boolean } = {}): Redis {
    const { display: _display, ...connection } = parseRedisUrl(server.url);
    const client = new Redis({
      ...connection,
      maxRetriesPerRequest: options.offline === false ? 0 : 3,
      enableOfflineQueue: options.offline ?? true,
    });
    // Connection errors surface as rejected commands; the events would only be logged.
    client.on('error', () => undefined);
    clients.push(client);
    return client;
  }

  async function rawState(): Promise<unknown> {
    const raw = await connect().get(PACER_KEY_PREFIX + key);
    return raw === null ? undefined : JSON.parse(raw);
  }

  it('two stores share one declared daily budget: N granted at one instant, then a wait', async () => {
    const first = new RedisPacerStore(connect());
    const second = new RedisPacerStore(connect());
    const declared = { requestsPerDay: 5 };
    const results: TakeResult[] = [];
    for (let index = 0; index < 6; index += 1) {
      const store = index % 2 === 0 ? first : second;
      results.push(await store.take(key, demand, declared, T0));
    }
    expect(results.map((result) => result.granted)).toEqual([true, true, true, true, true, false]);
    expect(
      results.filter((result) => result.granted).map((result) => ticketOf(result).seq),
    ).toEqual([1, 2, 3, 4, 5]);
    const refused = results[5];
    if (refused === undefined || refused.granted) throw new Error('the sixth was granted');
    expect(refused.reason).toBe('daily-quota');
    expect(refused.remaining).toBe(0);
    // One request back after a fifth of a day (ceil of a float division: at most 1 ms over).
    const wakeAt = refused.wakeAt ?? 0;
    expect(wakeAt - T0).toBeGreaterThanOrEqual(DAY_MS / 5);
    expect(wakeAt - T0).toBeLessThanOrEqual(DAY_MS / 5 + 1);
    expect((await first.take(key, demand, declared, wakeAt - 1)).granted).toBe(false);
    expect((await first.take(key, demand, declared, wakeAt)).granted).toBe(true);
    expect((await second.take(key, demand, declared, wakeAt)).granted).toBe(false);
  });

  it('two stores share one declared per-minute rate: evenly spaced across both', async () => {
    const first = new RedisPacerStore(connect());
    const second = new RedisPacerStore(connect());
    const declared = { requestsPerMinute: 6 };
    expect((await first.take(key, demand, declared, T0)).granted).toBe(true);
    const refused = await second.take(key, demand, declared, T0);
    if (refused.granted) throw new Error('granted twice at one instant');
    expect(refused.reason).toBe('requests');
    const wakeAt = refused.wakeAt ?? 0;
    expect(wakeAt - T0).toBeGreaterThanOrEqual(10_000);
    expect(wakeAt - T0).toBeLessThanOrEqual(10_001);
    expect((await first.take(key, demand, declared, wakeAt - 1)).granted).toBe(false);
    expect((await second.take(key, demand, declared, wakeAt)).granted).toBe(true);
    expect((await first.take(key, demand, declared, wakeAt)).granted).toBe(false);
  });

  it('3 stores x 20 concurrent takes grant exactly the declared budget, no update lost', async () => {
    const stores = [0, 1, 2].map(() => new RedisPacerStore(connect()));
    const declared = { requestsPerDay: 25 };
    const results = await Promise.all(
      stores.flatMap((store) =>
        Array.from({ length: 20 }, () => store.take(key, demand, declared, T0)),
      ),
    );
    const granted = results.filter((result) => result.granted).map(ticketOf);
    expect(granted).toHaveLength(25);
    expect(granted.map((ticket) => ticket.seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 25 }, (_, index) => index + 1),
    );
    expect(results.filter((result) => !result.granted)).toHaveLength(35);
    expect(await rawState()).toMatchObject({ issued: 25, inFlight: 25 });
  });

  it('stores sharing one client (one connection) stay exact too', async () => {
    const client = connect();
    const stores = [new RedisPacerStore(client), new RedisPacerStore(client)];
    const declared = { requestsPerDay: 15 };
    const results = await Promise.all(
      stores.flatMap((store) =>
        Array.from({ length: 20 }, () => store.take(key, demand, declared, T0)),
      ),
    );
    expect(results.filter((result) => result.granted)).toHaveLength(15);
    expect(await rawState()).toMatchObject({ issued: 15, inFlight: 15 });
  });

  it("a 429's server wait observed by one store holds back the others", async () => {
    const first = new RedisPacerStore(connect());
    const second = new RedisPacerStore(connect());
    const probe = ticketOf(await first.take(key, demand, {}, T0));
    expect(probe.probe).toBe(true);
    // The first answer is awaited fleet-wide, not per process.
    expect(await second.take(key, demand, {}, T0)).toMatchObject({
      granted: false,
      reason: 'first-answer',
    });
    const reading = readRateLimitAnswer(
      { status: 429, headers: { 'retry-after-ms': '5000' } },
      T0 + 100,
    );
    await first.observe(key, probe, reading, T0, T0 + 100);
    await first.settle(key, probe, { sent: true, status: 429 }, T0 + 100);
    expect(await second.take(key, demand, {}, T0 + 200)).toEqual({
      granted: false,
      reason: 'server-wait',
      wakeAt: T0 + 5100,
    });
    expect((await second.take(key, demand, {}, T0 + 5100)).granted).toBe(true);
  });

  it('a request settled by one store frees its concurrency slot for the others', async () => {
    const first = new RedisPacerStore(connect());
    const second = new RedisPacerStore(connect());
    const declared = { concurrentRequests: 2, requestsPerDay: 100 };
    const one = ticketOf(await first.take(key, demand, declared, T0));
    ticketOf(await first.take(key, demand, declared, T0));
    expect(await second.take(key, demand, declared, T0)).toEqual({
      granted: false,
      reason: 'concurrency',
    });
    await first.settle(key, one, { sent: true, status: 200 }, T0 + 10);
    expect((await second.take(key, demand, declared, T0 + 10)).granted).toBe(true);
  });

  it('a process gone silent with a request out loses its slot after the lease', async () => {
    const declared = { concurrentRequests: 1, requestsPerDay: 100 };
    const gone = new RedisPacerStore(connect(), { leaseMs: 10_000, now: () => T0 });
    const alive = new RedisPacerStore(connect(), { leaseMs: 10_000, now: () => T0 });
    ticketOf(await gone.take(key, demand, declared, T0));
    gone.close(); // killed: it never settles nor renews again
    expect(await alive.take(key, demand, declared, T0 + 9_999)).toMatchObject({
      granted: false,
      reason: 'concurrency',
    });
    const granted = await alive.take(key, demand, declared, T0 + 10_001);
    expect(granted.granted).toBe(true);
    expect(await rawState()).toMatchObject({ inFlight: 1, unanswered: [{ seq: 2 }] });
    alive.close();
  });

  it('a live process renewing its claim keeps its slot; its late settle is counted once', async () => {
    const declared = { concurrentRequests: 1, requestsPerDay: 100 };
    const holder = new RedisPacerStore(connect(), { leaseMs: 10_000 });
    const other = new RedisPacerStore(connect(), { leaseMs: 10_000 });
    const ticket = ticketOf(await holder.take(key, demand, declared, T0));
    await holder.renew(T0 + 8_000);
    expect(await other.take(key, demand, declared, T0 + 15_000)).toMatchObject({
      granted: false,
      reason: 'concurrency',
    });
    await holder.settle(key, ticket, { sent: true }, T0 + 16_000);
    ticketOf(await other.take(key, demand, declared, T0 + 16_001));
    expect(await rawState()).toMatchObject({ inFlight: 1 });
    holder.close();
    other.close();
  });

  it('a settle that comes after its holder was reaped does not free a second slot', async () => {
    const declared = { concurrentRequests: 2, requestsPerDay: 100 };
    const slow = new RedisPacerStore(connect(), { leaseMs: 10_000 });
    const other = new RedisPacerStore(connect(), { leaseMs: 10_000 });
    const late = ticketOf(await slow.take(key, demand, declared, T0));
    slow.close();
    ticketOf(await other.take(key, demand, declared, T0 + 20_000));
    // The reaped ticket's settle arrives: the count stays at the other's one request.
    await slow.settle(key, late, { sent: true }, T0 + 20_001);
    expect(await rawState()).toMatchObject({ inFlight: 1 });
    other.close();
  });

  it('gives the same answers and state as InMemoryPacerStore on a scripted run', async () => {
    const memory = new InMemoryPacerStore();
    // No process is lost here: claims outlast the script's clock.
    const lease = { leaseMs: 365 * DAY_MS, now: () => T0 };
    const shared = [new RedisPacerStore(connect(), lease), new RedisPacerStore(connect(), lease)];
    const memoryRun = await runScript(() => memory);
    let turn = 0;
    const redisRun = await runScript(() => shared[turn++ % 2] as PacerStore);
    expect(redisRun.log).toHaveLength(memoryRun.log.length);
    expect(
      memoryRun.log.filter((entry) => entry.startsWith('take granted')).length,
    ).toBeGreaterThan(30);
    expect(
      memoryRun.log.filter((entry) => entry.startsWith('take refused')).length,
    ).toBeGreaterThan(10);
    expect(redisRun.log).toEqual(memoryRun.log);
    for (const scriptKey of SCRIPT_KEYS) {
      const raw = await connect().get(PACER_KEY_PREFIX + scriptKey);
      // Who holds the requests still out is the shared store's own bookkeeping.
      const { holders: _holders, ...stored } = JSON.parse(raw ?? 'null') as Record<string, unknown>;
      expect(stored).toEqual(JSON.parse(JSON.stringify(memory.state(scriptKey))));
    }
  });

  it('a store alone on a key reads it once, then writes each update in one round trip', async () => {
    const client = connect();
    const store = new RedisPacerStore(client);
    const counts = async () => {
      const stats = String(await client.info('commandstats'));
      const calls = (name: string) =>
        Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
      // Each compare-and-set runs one GET inside its script.
      return {
        reads: calls('get') - calls('evalsha') - calls('eval'),
        writes: calls('evalsha') + calls('eval'),
      };
    };
    const before = await counts();
    for (let index = 0; index < 5; index++) {
      const ticket = ticketOf(await store.take(key, demand, {}, T0 + index));
      await store.settle(key, ticket, { sent: true, status: 200 }, T0 + index);
    }
    const after = await counts();
    expect({ reads: after.reads - before.reads, writes: after.writes - before.writes }).toEqual({
      reads: 1,
      writes: 10,
    });
  });

  it('keeps the state for a day after the last write', async () => {
    const client = connect();
    const store = new RedisPacerStore(client);
    await store.take(key, demand, { requestsPerDay: 3 }, T0);
    const ttl = await client.pttl(PACER_KEY_PREFIX + key);
    expect(ttl).toBeGreaterThan(PACER_STATE_TTL_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(PACER_STATE_TTL_MS);
    await client.pexpire(PACER_KEY_PREFIX + key, 1000);
    await store.take(key, demand, { requestsPerDay: 3 }, T0 + 1);
    expect(await client.pttl(PACER_KEY_PREFIX + key)).toBeGreaterThan(PACER_STATE_TTL_MS - 60_000);
  });

  it('refuses a state of another format version, naming the key', async () => {
    const client = connect();
    await client.set(PACER_KEY_PREFIX + key, JSON.stringify({ version: 2, buckets: [] }));
    const attempt = new RedisPacerStore(client).take(key, demand, {}, T0);
    await expect(attempt).rejects.toThrow(TaskflowError);
    await expect(attempt).rejects.toThrow(
      'pacer state of http://127.0.0.1:9/v1 gpt-x ' +
        `${key.split('\u0000')[2] ?? ''} in Redis has format version 2; this taskflow reads version 1`,
    );
  });

  it('gives up with a clear error when other writers win every attempt', async () => {
    const stores = [0, 1, 2].map(() => new RedisPacerStore(connect(), { maxAttempts: 1 }));
    const results = await Promise.allSettled(
      stores.map((store) => store.take(key, demand, { requestsPerDay: 10 }, T0)),
    );
    const reasons = results.flatMap((result) =>
      result.status === 'rejected' ? [result.reason as unknown] : [],
    );
    expect(reasons.length).toBeGreaterThan(0);
    for (const reason of reasons) {
      expect(reason).toBeInstanceOf(TaskflowError);
      expect((reason as TaskflowError).code).toBe('io');
      expect((reason as TaskflowError).message).toMatch(/changed under each of 1 attempts/);
    }
  });

  it('rejects when Redis is gone', async () => {
    const client = connect({ offline: false });
    await new Promise((resolve) => client.once('ready', resolve));
    const store = new RedisPacerStore(client);
    expect((await store.take(key, demand, {}, T0)).granted).toBe(true);
    await server.kill();
    await expect(store.take(key, demand, {}, T0 + 1)).rejects.toThrow();
  });
});

const SCRIPT_KEYS = [
  pacerKey({ endpoint: 'http://a/v1', model: 'm1' }),
  pacerKey({ endpoint: 'http://b/v1', model: 'm2', credential: 'k' }),
];
const DECLARED = [{}, { requestsPerMinute: 600, tokensPerMinute: 60_000, concurrentRequests: 4 }];

/** Deterministic numbers in [0, 1) (mulberry32). */
function seeded(seed: number): () => number {
  let value = seed;
  return () => {
    value = (value + 0x6d2b79f5) | 0;
    let mixed = Math.imul(value ^ (value >>> 15), 1 | value);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * 400 calls on two keys (one learning from headers, one declared): takes, answers with
 * rate-limit headers and 429s, settlements with usage, unsent requests. Logs every answer.
 */
async function runScript(storeFor: () => PacerStore): Promise<{ log: string[] }> {
  const random = seeded(42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const out: { keyIndex: number; ticket: PacerTicket; observed: boolean }[] = [];
  const log: string[] = [];
  let nowMs = T0;
  for (let step = 0; step < 400; step += 1) {
    nowMs += Math.floor(random() * 300);
    const action = out.length === 0 ? 0 : random();
    if (action < 0.45) {
      const keyIndex = random() < 0.5 ? 0 : 1;
      const request: PacerDemand = {
        inputTokens: 50 + Math.floor(random() * 500),
        concurrencyLimit: 8,
        ...(random() < 0.5 && { maxOutputTokens: 200 }),
      };
      const result = await storeFor().take(
        SCRIPT_KEYS[keyIndex] ?? '',
        request,
        DECLARED[keyIndex] ?? {},
        nowMs,
      );
      log.push(`take ${result.granted ? 'granted' : 'refused'} ${JSON.stringify(result)}`);
      if (result.granted) out.push({ keyIndex, ticket: result.ticket, observed: false });
      continue;
    }
    const index = Math.floor(random() * out.length);
    const entry = out[index];
    if (entry === undefined) throw new Error('no ticket');
    const scriptKey = SCRIPT_KEYS[entry.keyIndex] ?? '';
    if (action < 0.75 && !entry.observed) {
      const status = pick([200, 200, 200, 429]);
      const headers: Record<string, string> = {
        'x-ratelimit-limit-requests': '20',
        'x-ratelimit-remaining-requests': String(Math.floor(random() * 20)),
        'x-ratelimit-reset-requests': `${Math.floor(random() * 3000)}ms`,
        'x-ratelimit-limit-tokens': '20000',
        'x-ratelimit-remaining-tokens': String(Math.floor(random() * 20000)),
        'x-ratelimit-reset-tokens': `${Math.floor(random() * 3000)}ms`,
        ...(status === 429 && { 'retry-after-ms': String(Math.floor(random() * 2000)) }),
      };
      const reading = readRateLimitAnswer({ status, headers }, nowMs);
      await storeFor().observe(scriptKey, entry.ticket, reading, entry.ticket.takenAt, nowMs);
      entry.observed = true;
      log.push(`observe ${status}`);
      continue;
    }
    out.splice(index, 1);
    const sent = entry.observed || random() < 0.7;
    const settlement = sent
      ? {
          sent,
          status: entry.observed ? pick([200, 429]) : 200,
          usage: { inputTokens: Math.floor(random() * 600), outputTokens: 100 },
        }
      : { sent };
    await storeFor().settle(scriptKey, entry.ticket, settlement, nowMs);
    log.push(`settle ${JSON.stringify(settlement)}`);
  }
  return { log };
}
