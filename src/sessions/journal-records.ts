import * as z from '../zod.js';
import type { AgentJournal } from '../agent/types.js';
import type { TaskResult } from '../engine/run-types.js';
import type { ToolCall, Usage } from '../model/types.js';
import { fingerprintSchema, runnerSchema, taskflowReferenceSchema } from './manifest.js';

/**
 * The journal record types of sessions.md. Every record is what the caller gave: this
 * module never sees tokens, but callers must pass redacted prompts, globals and tool
 * arguments (values from `env()` in templates must not reach the journal).
 */

/** Version of the journal format, stored in its `session-start` record. */
export const JOURNAL_SCHEMA_VERSION = 1;

const usageSchema = z.object({
  inputTokens: z.int().check(z.nonnegative()),
  outputTokens: z.int().check(z.nonnegative()),
});
const toolCallSchema = z.object({ id: z.string(), name: z.string(), arguments: z.string() });
const taskResultSchema = z.object({
  value: z.unknown(),
  source: z.object({ text: z.string(), structuredContent: z.optional(z.unknown()) }),
});
const recordedErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  /** Resilience class when the error was classified. */
  class: z.optional(z.string()),
  /** Detail lines shown under the message (a shell task's stderr tail), bounded. */
  details: z.optional(z.array(z.string())),
});
const index = z.int().check(z.nonnegative());
const base = { seq: z.int().check(z.positive()), at: z.iso.datetime({ offset: true }) };

const sessionStartSchema = z.object({
  ...base,
  type: z.literal('session-start'),
  schemaVersion: z.int().check(z.positive()),
  id: z.string(),
  taskflow: taskflowReferenceSchema,
  globals: z.record(z.string(), z.unknown()),
  modelConfig: z.optional(z.string()),
  workingDirectory: z.optional(z.string()),
  searchPaths: z.optional(z.array(z.string())),
  fingerprint: fingerprintSchema,
  runner: runnerSchema,
  /** Task names in order, when known (lets a rebuilt manifest count tasks not yet run). */
  taskNames: z.optional(z.array(z.string())),
});
const taskStartSchema = z.object({
  ...base,
  type: z.literal('task-start'),
  task: index,
  name: z.string(),
  model: z.optional(z.string()),
  /** The expanded repeat items themselves (repeat_prompt), so a resume reuses them. */
  items: z.optional(z.array(z.unknown())),
  /** A fan-out over `models`: the model of each branch of an item; branches are items × these. */
  models: z.optional(z.array(z.string())),
  itemCount: index,
  /** The task's output id, when it has one. */
  outputId: z.optional(z.string()),
  /** True when continuing an earlier start from its committed state (not a fresh start). */
  resumed: z.optional(z.boolean()),
});
const itemStartSchema = z.object({
  ...base,
  type: z.literal('item-start'),
  task: index,
  item: index,
  /** The rendered prompt, redacted; for information only. */
  prompt: z.optional(z.string()),
  resumed: z.optional(z.boolean()),
});
const turnCommitSchema = z.object({
  ...base,
  type: z.literal('turn-commit'),
  task: index,
  item: index,
  turn: z.int().check(z.positive()),
  agent: z.string(),
  message: z.object({ content: z.string(), toolCalls: z.array(toolCallSchema) }),
  usage: usageSchema,
});
const toolIntentSchema = z.object({
  ...base,
  type: z.literal('tool-intent'),
  task: index,
  item: index,
  callId: z.string(),
  toolbox: z.string(),
  tool: z.string(),
  arguments: z.string(),
});
const toolResultStatusSchema = z.enum(['ok', 'error', 'denied', 'timeout', 'handoff', 'repair']);
const toolResultSchema = z.object({
  ...base,
  type: z.literal('tool-result'),
  task: index,
  item: index,
  callId: z.string(),
  /** The result exactly as given to the model. */
  content: z.string(),
  status: toolResultStatusSchema,
  /** The agent a handoff switched to. */
  handoffTo: z.optional(z.string()),
  record: z.optional(z.object({ text: z.string(), structuredContent: z.optional(z.unknown()) })),
});
const itemEndSchema = z.object({
  ...base,
  type: z.literal('item-end'),
  task: index,
  item: index,
  status: z.enum(['succeeded', 'failed']),
  result: z.optional(taskResultSchema),
  /** Set instead of `result` when it was too large (relative to the session folder). */
  resultFile: z.optional(z.string()),
  error: z.optional(recordedErrorSchema),
});
const taskEndSchema = z.object({
  ...base,
  type: z.literal('task-end'),
  task: index,
  status: z.enum(['succeeded', 'failed', 'skipped']),
  result: z.optional(taskResultSchema),
  resultFile: z.optional(z.string()),
  error: z.optional(recordedErrorSchema),
  usage: usageSchema,
  durationMs: z.number().check(z.nonnegative()),
});
const requestAttemptsSchema = z.object({
  ...base,
  type: z.literal('request-attempts'),
  /** Logical request key (stable across retries and resumes). */
  key: z.string(),
  /** Attempts made so far for this key, across resumes. */
  attempts: z.int().check(z.positive()),
  errorClass: z.optional(z.string()),
  /** The task the request belongs to (for per-task retry counts). */
  task: z.optional(index),
});

const shardNumber = z.int().check(z.positive());
/** A shard run (`resume --shard K/N`) began: its share of the fan-out task's branches. */
const shardStartSchema = z.object({
  ...base,
  type: z.literal('shard-start'),
  task: index,
  shard: shardNumber,
  of: shardNumber,
  /** How many branches the task has (the shard's are the ordinals ≡ shard−1 mod of). */
  branches: index,
  host: z.optional(z.string()),
});
/** A shard run ended: how its branches went in this run. */
const shardEndSchema = z.object({
  ...base,
  type: z.literal('shard-end'),
  task: index,
  shard: shardNumber,
  of: shardNumber,
  succeeded: index,
  /** Ordinals of the branches that failed. */
  failed: z.array(index),
  /** Time the shard's requests waited before retries and for the pacer's budget. */
  waitMs: z.number().check(z.nonnegative()),
  pacedMs: z.optional(z.number().check(z.nonnegative())),
});
/** `taskflow merge` folded a shard copy's records (those before this record) in. */
const shardMergeSchema = z.object({
  ...base,
  type: z.literal('shard-merge'),
  task: index,
  /** The copy's session folder. */
  from: z.string(),
  /** The shards (`K/N`) the copy ran. */
  shards: z.array(z.string()),
  /** Ordinals of the branches that gained records. */
  branches: z.array(index),
});

const recordSchemas = [
  sessionStartSchema,
  taskStartSchema,
  itemStartSchema,
  turnCommitSchema,
  toolIntentSchema,
  toolResultSchema,
  itemEndSchema,
  taskEndSchema,
  requestAttemptsSchema,
  shardStartSchema,
  shardEndSchema,
  shardMergeSchema,
] as const;

export const journalRecordSchema = z.discriminatedUnion('type', [...recordSchemas]);

export type JournalRecord = z.infer<typeof journalRecordSchema>;
export type JournalRecordType = JournalRecord['type'];
export type JournalRecordOf<T extends JournalRecordType> = Extract<JournalRecord, { type: T }>;
export type RecordedError = z.infer<typeof recordedErrorSchema>;
export type ToolResultStatus = z.infer<typeof toolResultStatusSchema>;

type WithoutStamp<T> = T extends unknown ? Omit<T, 'seq' | 'at'> : never;
/** A record as the caller appends it: the journal assigns `seq` and `at`. */
export type JournalRecordInput = WithoutStamp<JournalRecord>;

export const JOURNAL_RECORD_TYPES: ReadonlySet<string> = new Set(
  recordSchemas.flatMap((schema) => schema.shape.type.def.values),
);

// Compile-time checks that the stored shapes accept what the agent and engine produce.
type Assert<T extends true> = T;
type _ToolCallFits = Assert<ToolCall extends z.infer<typeof toolCallSchema> ? true : false>;
type _UsageFits = Assert<Usage extends z.infer<typeof usageSchema> ? true : false>;
type _ResultFits = Assert<TaskResult extends z.infer<typeof taskResultSchema> ? true : false>;
type _ResultReads = Assert<z.infer<typeof taskResultSchema> extends TaskResult ? true : false>;
type _StatusFits = Assert<
  Parameters<AgentJournal['toolResult']>[0]['status'] extends ToolResultStatus ? true : false
>;
