import type { Redis } from 'ioredis';
import { TaskflowError, errorMessage } from '../errors.js';
import type { JournalRecord, JournalRecordInput } from '../sessions/journal-records.js';
import { replayJournal, type ReplayState } from '../sessions/replay.js';
import type { RecorderSession } from '../sessions/session-recorder.js';
import type { StoredResult } from '../sessions/task-result-file.js';
import { asJournalRecords, type QueuedRecord } from './branch-records.js';
import {
  branchRecordsKey,
  jobLockKey,
  QUEUE_STATE_TTL_SECONDS,
  sessionStreamKey,
} from './queue-keys.js';

/**
 * Appends a record to a branch's list and rings the coordinator's doorbell, only while the
 * job's lock still holds this worker's token: a worker that lost its job (stalled, taken
 * over) can add nothing after the new owner started.
 */
const FENCED_APPEND = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local length = redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[4])
redis.call('XADD', KEYS[3], '*', 'branch', ARGV[3])
redis.call('EXPIRE', KEYS[3], ARGV[4])
return length`;

/** The script's name on a client (sent once, then called by its SHA). */
const APPEND_COMMAND = 'taskflowFencedAppend';

interface AppendClient {
  [APPEND_COMMAND](
    lock: string,
    list: string,
    stream: string,
    token: string,
    record: string,
    branch: string,
    ttlSeconds: number,
  ): Promise<number>;
}

export interface BranchJobLease {
  readonly sessionId: string;
  readonly taskIndex: number;
  readonly ordinal: number;
  readonly jobId: string;
  /** The worker's token for the job (BullMQ's lock value). */
  readonly token: string;
}

/**
 * A worker's view of the session for one branch: the branch's records so far (from Redis)
 * replay as a journal would, and every record the recorder appends is sent to Redis, where
 * the coordinator copies it into the session's journal. `durable()` resolves once Redis
 * has every record so far, so the agent loop goes on only after its turn left the machine.
 */
export class RemoteBranchSession implements RecorderSession {
  readonly replay: ReplayState;
  readonly journal: Pick<RecorderSession['journal'], 'append' | 'durable'>;
  #pending: Promise<unknown>[] = [];
  #failure: Error | undefined;
  #count: number;

  constructor(
    private readonly redis: Redis,
    private readonly lease: BranchJobLease,
    existing: readonly QueuedRecord[],
  ) {
    if (!(APPEND_COMMAND in redis)) {
      redis.defineCommand(APPEND_COMMAND, { numberOfKeys: 3, lua: FENCED_APPEND });
    }
    this.replay = replayJournal(asJournalRecords(existing));
    this.#count = existing.length;
    this.journal = {
      append: (input, options) => this.#append(input, options?.at),
      durable: () => this.#durable(),
    };
  }

  /** Set once an append failed (the job was lost, or Redis refused). */
  get failure(): Error | undefined {
    return this.#failure;
  }

  readTaskResult(stored: StoredResult) {
    // A worker writes results inline; the coordinator moves large ones to side files.
    return stored.result;
  }

  updateManifest(): void {
    // The coordinator owns the manifest: it counts what the records it copies say.
  }

  #append(input: JournalRecordInput, at?: string): JournalRecord {
    const stamped = { ...input, at: at ?? new Date().toISOString() };
    const { sessionId, taskIndex, ordinal } = this.lease;
    const client = this.redis as unknown as AppendClient;
    const sent = client[APPEND_COMMAND](
      jobLockKey(this.lease.jobId),
      branchRecordsKey(sessionId, taskIndex, ordinal),
      sessionStreamKey(sessionId),
      this.lease.token,
      JSON.stringify(stamped),
      `${taskIndex}.${ordinal}`,
      QUEUE_STATE_TTL_SECONDS,
    ).then(
      (length) => {
        if (length === -1) {
          this.#failure ??= new TaskflowError(
            'stopped',
            `lost branch ${ordinal} of task ${taskIndex + 1} to another worker (its lock expired)`,
          );
        }
      },
      (error: unknown) => {
        this.#failure ??= new TaskflowError(
          'stopped',
          `cannot send a record to the queue: ${errorMessage(error)}`,
          { cause: error },
        );
      },
    );
    this.#pending.push(sent);
    this.#count++;
    return { ...stamped, seq: this.#count };
  }

  async #durable(): Promise<void> {
    const pending = this.#pending;
    this.#pending = [];
    await Promise.all(pending);
    if (this.#failure) throw this.#failure;
  }
}
