/**
 * Names in Redis of the queue and of a session's queue state. One BullMQ queue carries
 * the branch jobs of every session; a session's records and contexts live under its id.
 */

/** The BullMQ queue of branch jobs (its keys are `bull:<name>:…`). */
export const BRANCH_QUEUE = 'taskflow-branches';
/** BullMQ's default key prefix, which the queue keeps. */
export const BULL_PREFIX = 'bull';

/** One job per branch: enqueueing a branch twice is one job. */
export function branchJobId(sessionId: string, taskIndex: number, ordinal: number): string {
  return `${sessionId}.${taskIndex}.${ordinal}`;
}

/** The lock BullMQ keeps on an active job (holds the worker's token). */
export function jobLockKey(jobId: string): string {
  return `${BULL_PREFIX}:${BRANCH_QUEUE}:${jobId}:lock`;
}

/** What a worker needs to run the session's branches of one fan-out task (JSON). */
export function fanOutContextKey(sessionId: string, taskIndex: number): string {
  return `taskflow:${sessionId}:context:${taskIndex}`;
}

/** Every journal record of one branch, in order (a Redis list of JSON records). */
export function branchRecordsKey(sessionId: string, taskIndex: number, ordinal: number): string {
  return `taskflow:${sessionId}:branch:${taskIndex}:${ordinal}`;
}

/** The coordinator's doorbell: one entry per change of a branch's records (a stream). */
export function sessionStreamKey(sessionId: string): string {
  return `taskflow:${sessionId}:records`;
}

/** How long a session's queue state outlives its last write (a week). */
export const QUEUE_STATE_TTL_SECONDS = 7 * 24 * 3600;
