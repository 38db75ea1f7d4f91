import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type {
  RemoteBranchEnd,
  RemoteBranchExecutor,
  RemoteFanOut,
} from '../engine/branch-executor.js';
import { errorMessage, TaskflowError, type ErrorCode } from '../errors.js';
import { systemClock } from '../resilience/clock.js';
import { itemToolResults } from '../sessions/item-tool-results.js';
import { itemUsage, replayJournal } from '../sessions/replay.js';
import { ZERO_USAGE } from '../model/types.js';
import type { Session } from '../sessions/session.js';
import type { SessionRecorder } from '../sessions/session-recorder.js';
import type { BranchJobData } from './branch-job.js';
import {
  asJournalRecords,
  parseQueuedRecord,
  recordsOfBranch,
  type QueuedRecord,
} from './branch-records.js';
import type { FanOutContext } from './fan-out-context.js';
import { settleWithin } from '../toolbox/settle-within.js';
import {
  branchJobId,
  branchRecordsKey,
  fanOutContextKey,
  QUEUE_STATE_TTL_SECONDS,
  sessionStreamKey,
} from './queue-keys.js';

export interface QueueExecutorOptions {
  /** Commands (never blocked). */
  readonly redis: Redis;
  /** Blocking reads of the session's doorbell stream. */
  readonly reader: Redis;
  readonly queue: Queue;
  /** The queue's URL without its password, for messages. */
  readonly display: string;
  readonly session: Session;
  readonly recorder: SessionRecorder;
  /** Which taskflow the workers load, and its files' hashes (portable paths). */
  readonly taskflow: FanOutContext['taskflow'];
  readonly files: FanOutContext['files'];
  readonly redact: <T>(value: T) => T;
  /** Redis unreachable this long mid-run: the run stops, resumable (exit 75). */
  readonly lostAfterMs: number;
}

/** How often the coordinator looks for jobs of its branches that BullMQ failed. */
const FAILED_CHECK_MS = 5_000;
/** Attempts of a job whose worker failed outside the branch (not a refusal). */
const JOB_ATTEMPTS = 3;

/** How long taking back unstarted jobs may take when the run stops. */
const WITHDRAW_MS = 3_000;

/** Error codes a worker may report as stopping the run (anything else stops it as `stopped`). */
const STOP_CODES = new Set<ErrorCode>(['config', 'auth', 'quota', 'stopped']);

/**
 * The coordinator's side of a queue (scale-out.md "Queue"): every fan-out task's branches
 * are jobs for `taskflow worker`s; their records are copied into the session's journal as
 * they arrive; the task settles when every branch ended. Tasks that are not fan-outs run in
 * this process as usual.
 */
export function queueBranchExecutor(options: QueueExecutorOptions): RemoteBranchExecutor {
  return { dispatch: (request) => new FanOutDispatch(options, request).run() };
}

/** One fan-out task handed to the queue, from enqueueing to its last branch's end. */
class FanOutDispatch {
  readonly #options: QueueExecutorOptions;
  readonly #request: RemoteFanOut;
  readonly #taskIndex: number;
  readonly #sessionId: string;
  /** Per ordinal: the branch's records as journaled here (the copy's position in Redis). */
  readonly #records = new Map<number, QueuedRecord[]>();
  readonly #ends = new Map<number, RemoteBranchEnd>();
  readonly #started = new Set<number>();

  constructor(options: QueueExecutorOptions, request: RemoteFanOut) {
    this.#options = options;
    this.#request = request;
    this.#taskIndex = request.task.index;
    this.#sessionId = options.session.id;
  }

  async run(): Promise<RemoteBranchEnd[]> {
    const { fanOut, task } = this.#request;
    for (const branch of fanOut.branches) {
      if (!fanOut.finished.has(branch.index)) continue;
      const restore = this.#options.recorder.restoreBranch(task.index, branch.index, '', {
        excludeFromContext: task.excludeFromContext,
      });
      if (restore?.kind !== 'succeeded') continue;
      this.#request.onBranchStart(branch.index);
      this.#end(branch.index, {
        status: 'succeeded',
        result: restore.result,
        usage: restore.usage,
        toolResults: restore.toolResults,
        reused: true,
      });
    }
    const pending = fanOut.branches.filter((branch) => !this.#ends.has(branch.index));
    if (pending.length > 0) await this.#runPending(pending.map((branch) => branch.index));
    return fanOut.branches.map((branch) => {
      const end = this.#ends.get(branch.index);
      if (!end) throw new TaskflowError('internal', `branch ${branch.index} never ended`);
      return end;
    });
  }

  async #runPending(ordinals: number[]): Promise<void> {
    const { redis } = this.#options;
    const stream = sessionStreamKey(this.#sessionId);
    try {
      await this.#writeContext();
      // Doorbells from before this point are for records caught up below.
      const last = await redis.xrevrange(stream, '+', '-', 'COUNT', 1);
      let cursor = last[0]?.[0] ?? '0-0';
      for (const ordinal of ordinals) await this.#seed(ordinal);
      await this.#enqueue(ordinals.filter((ordinal) => !this.#ends.has(ordinal)));
      let lostSince: number | undefined;
      let checkedFailedAt = Date.now();
      while (ordinals.some((ordinal) => !this.#ends.has(ordinal))) {
        this.#request.signal.throwIfAborted();
        if (lostSince === undefined && Date.now() - checkedFailedAt >= FAILED_CHECK_MS) {
          checkedFailedAt = Date.now();
          const failed = await this.#failedJob(ordinals);
          if (failed) {
            // A worker's notice (a refusal, a stop) may be on its way: it says more.
            await this.#onDoorbells(
              (await this.#read(stream, cursor, 0)).map(([, f]) => fieldsOf(f)),
            );
            throw failed;
          }
        }
        let entries: [string, string[]][];
        try {
          entries = await this.#read(stream, cursor);
          lostSince = undefined;
        } catch (error) {
          if (this.#request.signal.aborted) throw error;
          lostSince ??= Date.now();
          if (Date.now() - lostSince >= this.#options.lostAfterMs) throw this.#lost(error);
          // Aborted: the loop's check says so.
          await systemClock.sleep(250, { signal: this.#request.signal }).catch(() => undefined);
          continue;
        }
        cursor = entries.at(-1)?.[0] ?? cursor;
        await this.#onDoorbells(entries.map(([, fields]) => fieldsOf(fields)));
      }
      await this.#cleanUp(ordinals);
    } catch (error) {
      // Jobs not started yet are taken back; running ones finish and are caught up on resume.
      // (Bounded: with Redis gone, BullMQ's client would wait for it forever.)
      await settleWithin(this.#withdraw(ordinals), WITHDRAW_MS);
      if (error instanceof TaskflowError) throw error;
      if (this.#request.signal.aborted) throw new TaskflowError('cancelled', 'interrupted');
      throw this.#lost(error);
    }
  }

  #lost(error: unknown): TaskflowError {
    // ioredis says it gave up retrying; what the user needs is that the connection is down.
    const cause =
      error instanceof Error && error.name === 'MaxRetriesPerRequestError'
        ? 'the connection is down'
        : errorMessage(error);
    return new TaskflowError(
      'stopped',
      `lost the queue at ${this.#options.display}: ${cause}; the run stopped and can be resumed`,
      { cause: error, taskIndex: this.#taskIndex },
    );
  }

  async #read(stream: string, cursor: string, blockMs = 1000): Promise<[string, string[]][]> {
    const reply =
      blockMs > 0
        ? await this.#options.reader.xread('BLOCK', blockMs, 'STREAMS', stream, cursor)
        : await this.#options.redis.xread('STREAMS', stream, cursor);
    return reply?.[0]?.[1] ?? [];
  }

  /**
   * A job of an unfinished branch that BullMQ failed (its worker gave up on it without a
   * notice, after its attempts): the run cannot finish, so it stops resumably, naming why.
   */
  async #failedJob(ordinals: readonly number[]): Promise<TaskflowError | undefined> {
    const prefix = `${this.#sessionId}.${this.#taskIndex}.`;
    const failed = await this.#options.queue.getFailed(0, -1);
    for (const job of failed) {
      if (!job.id?.startsWith(prefix)) continue;
      const ordinal = Number(job.id.slice(prefix.length));
      if (!ordinals.includes(ordinal) || this.#ends.has(ordinal)) continue;
      return new TaskflowError(
        'stopped',
        `branch ${ordinal} of task ${this.#taskIndex + 1} failed on the queue: ${job.failedReason || 'no reason given'}; resume to queue it again`,
        { taskIndex: this.#taskIndex },
      );
    }
    return undefined;
  }

  async #writeContext(): Promise<void> {
    const { task, globals, outputs, headless } = this.#request;
    const context: FanOutContext = {
      version: 1,
      sessionId: this.#sessionId,
      taskIndex: task.index,
      taskName: task.name,
      taskflow: this.#options.taskflow,
      files: this.#options.files,
      globals: this.#options.redact(globals),
      outputs: this.#options.redact(outputs),
      headless,
    };
    await this.#options.redis.set(
      fanOutContextKey(this.#sessionId, task.index),
      JSON.stringify(context),
      'EX',
      QUEUE_STATE_TTL_SECONDS,
    );
  }

  /**
   * Makes the branch's list in Redis hold exactly its journaled records, then copies what
   * workers added beyond them (a coordinator that died left them uncopied).
   */
  async #seed(ordinal: number): Promise<void> {
    const { redis, session } = this.#options;
    const key = branchRecordsKey(this.#sessionId, this.#taskIndex, ordinal);
    const journaled = recordsOfBranch(session.records, this.#taskIndex, ordinal);
    this.#records.set(ordinal, journaled);
    const length = await redis.llen(key);
    if (length < journaled.length) {
      // Missing or older than the journal (Redis was reset): the journal is the truth.
      const multi = redis.multi().del(key);
      if (journaled.length > 0) {
        multi.rpush(key, ...journaled.map((record) => JSON.stringify(record)));
        multi.expire(key, QUEUE_STATE_TTL_SECONDS);
      }
      await multi.exec();
      return;
    }
    await this.#copyNew(ordinal);
  }

  async #enqueue(ordinals: number[]): Promise<void> {
    const { queue } = this.#options;
    const branches = this.#request.fanOut.branches;
    const jobs = [];
    for (const ordinal of ordinals) {
      const jobId = branchJobId(this.#sessionId, this.#taskIndex, ordinal);
      // A job that failed (refused) keeps its id: take it away so the branch can be queued.
      const existing = await queue.getJob(jobId);
      if (existing && (await existing.isFailed())) await existing.remove();
      const branch = branches[ordinal];
      if (!branch) continue;
      const data: BranchJobData = {
        sessionId: this.#sessionId,
        taskIndex: this.#taskIndex,
        branch: this.#options.redact(branch),
      };
      // A worker error outside the branch (Redis away a moment) is tried again; a branch's
      // own failure is its result, never a job failure.
      jobs.push({
        name: 'branch',
        data,
        opts: { jobId, attempts: JOB_ATTEMPTS, backoff: { type: 'fixed', delay: 1_000 } },
      });
    }
    for (let start = 0; start < jobs.length; start += 500) {
      await queue.addBulk(jobs.slice(start, start + 500));
    }
  }

  /**
   * A batch of doorbells: notices stop the run; branches with new records have them read
   * in one round trip and journaled in one go (one fsync for the batch).
   */
  async #onDoorbells(batch: readonly Record<string, string>[]): Promise<void> {
    const ordinals: number[] = [];
    for (const fields of batch) {
      const match = /^(\d+)\.(\d+)$/.exec(fields.branch ?? '');
      if (!match || Number(match[1]) !== this.#taskIndex) continue;
      const ordinal = Number(match[2]);
      if (!this.#records.has(ordinal) || this.#ends.has(ordinal)) continue;
      if (fields.kind === 'refused') {
        throw new TaskflowError('config', fields.message ?? 'a worker refused a branch', {
          taskIndex: this.#taskIndex,
        });
      }
      if (fields.kind === 'stop') {
        const code = fields.code as ErrorCode;
        throw new TaskflowError(
          STOP_CODES.has(code) ? code : 'stopped',
          fields.message ?? 'a worker stopped the run',
          { taskIndex: this.#taskIndex },
        );
      }
      if (!ordinals.includes(ordinal)) ordinals.push(ordinal);
    }
    if (ordinals.length === 0) return;
    const pipeline = this.#options.redis.pipeline();
    for (const ordinal of ordinals) {
      pipeline.lrange(
        branchRecordsKey(this.#sessionId, this.#taskIndex, ordinal),
        this.#records.get(ordinal)?.length ?? 0,
        -1,
      );
    }
    const replies = (await pipeline.exec()) ?? [];
    ordinals.forEach((ordinal, index) => {
      const [error, texts] = replies[index] ?? [new Error('no reply')];
      if (error) throw error;
      this.#journal(ordinal, texts as string[]);
    });
  }

  /** Copies the branch's records beyond those journaled here, in order. */
  async #copyNew(ordinal: number): Promise<void> {
    const records = this.#records.get(ordinal) ?? [];
    const key = branchRecordsKey(this.#sessionId, this.#taskIndex, ordinal);
    this.#journal(ordinal, await this.#options.redis.lrange(key, records.length, -1));
  }

  /** Journals the branch's records that follow those journaled here (read from Redis). */
  #journal(ordinal: number, texts: readonly string[]): void {
    const records = this.#records.get(ordinal) ?? [];
    for (const text of texts) {
      const record = parseQueuedRecord(text, this.#taskIndex, ordinal);
      this.#options.recorder.appendCopied(record);
      records.push(record);
      if (record.type === 'item-start' && !this.#started.has(ordinal)) {
        this.#started.add(ordinal);
        this.#request.onBranchStart(ordinal);
      }
      if (record.type === 'item-end') this.#end(ordinal, this.#endFrom(ordinal, records));
    }
  }

  #endFrom(ordinal: number, records: readonly QueuedRecord[]): RemoteBranchEnd {
    const replay = replayJournal(asJournalRecords(records));
    const item = replay.tasks.get(this.#taskIndex)?.itemStates.get(ordinal);
    const usage = item ? itemUsage(item) : ZERO_USAGE;
    const toolResults = item ? itemToolResults(item) : [];
    if (item?.status === 'succeeded' && item.result) {
      return { status: 'succeeded', result: item.result, usage, toolResults };
    }
    const recorded = item?.error;
    const error = new TaskflowError(
      (recorded?.code as ErrorCode | undefined) ?? 'task-failed',
      recorded?.message ?? `branch ${ordinal} failed`,
      { taskIndex: this.#taskIndex, ...(recorded?.details && { details: recorded.details }) },
    );
    return { status: 'failed', error, usage, toolResults };
  }

  #end(ordinal: number, end: RemoteBranchEnd): void {
    if (this.#ends.has(ordinal)) return;
    if (!this.#started.has(ordinal) && !end.reused) {
      this.#started.add(ordinal);
      this.#request.onBranchStart(ordinal);
    }
    this.#ends.set(ordinal, end);
    this.#request.onBranchEnd(ordinal, end);
  }

  /** Every branch ended and is journaled: the queue forgets the task's jobs and state. */
  async #cleanUp(ordinals: number[]): Promise<void> {
    const { queue } = this.#options;
    for (let start = 0; start < ordinals.length; start += 100) {
      await Promise.all(
        ordinals
          .slice(start, start + 100)
          .map((ordinal) =>
            queue.remove(branchJobId(this.#sessionId, this.#taskIndex, ordinal)).catch(() => 0),
          ),
      );
    }
    const keys = ordinals.map((ordinal) =>
      branchRecordsKey(this.#sessionId, this.#taskIndex, ordinal),
    );
    keys.push(fanOutContextKey(this.#sessionId, this.#taskIndex));
    for (let start = 0; start < keys.length; start += 500) {
      await this.#options.redis.del(...keys.slice(start, start + 500));
    }
  }

  /** Takes back the jobs of unfinished branches that no worker has started. */
  async #withdraw(ordinals: number[]): Promise<void> {
    for (const ordinal of ordinals) {
      if (this.#ends.has(ordinal)) continue;
      const job = await this.#options.queue.getJob(
        branchJobId(this.#sessionId, this.#taskIndex, ordinal),
      );
      if (job && (await job.isWaiting())) await job.remove().catch(() => undefined);
    }
  }
}

function fieldsOf(flat: readonly string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let index = 0; index + 1 < flat.length; index += 2) {
    fields[flat[index] as string] = flat[index + 1] as string;
  }
  return fields;
}
