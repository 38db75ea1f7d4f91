import * as z from '../zod.js';
import { TaskflowError, errorMessage } from '../errors.js';
import type { Branch } from '../engine/run-types.js';

/** One branch job: which branch of which session's fan-out task (the rest is in Redis). */
export interface BranchJobData {
  readonly sessionId: string;
  readonly taskIndex: number;
  readonly branch: Branch;
}

const index = z.int().check(z.nonnegative());
const jobSchema = z.object({
  sessionId: z.string().check(z.regex(/^[0-9a-f]{12}$/)),
  taskIndex: index,
  branch: z.object({
    index,
    itemIndex: index,
    hasItem: z.boolean(),
    item: z.optional(z.unknown()),
    modelName: z.string(),
    modelSettings: z.record(z.string(), z.unknown()),
  }),
});

/** @throws TaskflowError 'session' naming the job when its data is not a branch job */
export function parseBranchJob(data: unknown, jobId: string): BranchJobData {
  try {
    return jobSchema.parse(data);
  } catch (error) {
    throw new TaskflowError(
      'session',
      `job ${jobId} is not a taskflow branch job: ${errorMessage(error)}`,
    );
  }
}

/**
 * What a worker tells the coordinator besides the branch's records (fields of a stream
 * entry): it refused the job (its files differ), or the branch hit an error that stops the
 * whole run (quota, auth, config).
 */
export type BranchNotice =
  | { readonly kind: 'refused'; readonly message: string }
  | { readonly kind: 'stop'; readonly code: string; readonly message: string };
