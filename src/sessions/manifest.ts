import fs from 'node:fs';
import path from 'node:path';
import * as z from '../zod.js';
import { TaskflowError, errorMessage } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { jsonMayExceed } from './json-pieces.js';

/**
 * The manifest schema version this taskflow writes and the newest it reads. Version 2 added
 * the statuses `planned` and `sharded` and `shards` (scale-out.md "Shards"); version 1
 * manifests still load (and are written as version 2 from then on).
 */
export const MANIFEST_SCHEMA_VERSION = 2;
export const MANIFEST_FILE = 'manifest.json';

const usageSchema = z.object({
  inputTokens: z.int().check(z.nonnegative()),
  outputTokens: z.int().check(z.nonnegative()),
});

/** One task's definition as the run used it: part name -> short hash (task-fingerprints.ts). */
export const taskFingerprintSchema = z.object({
  name: z.string(),
  parts: z.record(z.string(), z.string()),
});

export const fingerprintSchema = z.object({
  algorithm: z.literal('sha256'),
  /** Absolute path -> SHA-256 (hex) of the content the run loaded. */
  files: z.record(z.string(), z.string()),
  /** SHA-256 over the sorted (path, hash) pairs. */
  digest: z.string(),
  /**
   * Per task, in order: what each task's definition was, so a resume can tell edits to
   * finished tasks (refused) from edits to tasks still to run (allowed). Absent in sessions
   * written before it existed: any changed file then refuses.
   */
  tasks: z.optional(z.array(taskFingerprintSchema)),
  /** Taskflow-level parts (`globals`, `model_config`) a resumed run keeps from the session. */
  taskflow: z.optional(z.record(z.string(), z.string())),
});

export const runnerSchema = z.object({ version: z.string() });

export const taskflowReferenceSchema = z.object({
  /** What the user typed (import path). */
  reference: z.string(),
  /** The resolved file. */
  path: z.string(),
});

export const sessionStatusSchema = z.enum([
  'running',
  'succeeded',
  'failed',
  'stopped',
  'interrupted',
  /** `--until-fanout` stopped at a fan-out with its branch list recorded. */
  'planned',
  /** `--shard K/N` ran its share of the fan-out (or shard copies were merged in). */
  'sharded',
]);
export const taskStatusSchema = z.enum(['pending', 'running', 'succeeded', 'failed', 'skipped']);

export const manifestTaskSchema = z.object({
  index: z.int().check(z.nonnegative()),
  name: z.string(),
  status: taskStatusSchema,
  items: z.optional(
    z.object({
      total: z.int().check(z.nonnegative()),
      succeeded: z.int().check(z.nonnegative()),
      failed: z.int().check(z.nonnegative()),
    }),
  ),
  durationMs: z.optional(z.number().check(z.nonnegative())),
  usage: usageSchema,
  /** Model requests sent, failed attempts included. */
  requests: z.int().check(z.nonnegative()),
  /** Retries by error class (`rate-limited`, `network`, ...). */
  retries: z.record(z.string(), z.int().check(z.nonnegative())),
  /** Time spent waiting before retries. */
  waitMs: z.number().check(z.nonnegative()),
  /** Time spent waiting for the pacer's rate-limit budget (absent: none, or an older session). */
  pacedMs: z.optional(z.number().check(z.nonnegative())),
});

export const manifestErrorSchema = z.object({
  /** Resilience class (`quota`, `rate-limited`, ...) when the error was classified. */
  class: z.optional(z.string()),
  /** TaskflowError code. */
  code: z.string(),
  message: z.string(),
  task: z.optional(z.int().check(z.nonnegative())),
});

const isoTime = z.iso.datetime({ offset: true });

/** One shard run of a fan-out task (`resume --shard K/N`), as the journal records it. */
export const manifestShardSchema = z.object({
  task: z.int().check(z.nonnegative()),
  shard: z.int().check(z.positive()),
  of: z.int().check(z.positive()),
  /** The task's branch count; the shard's branches are the ordinals ≡ shard−1 (mod of). */
  branches: z.int().check(z.nonnegative()),
  host: z.optional(z.string()),
  startedAt: isoTime,
  /** Set once a run of the shard ended (it may have been killed and resumed before). */
  endedAt: z.optional(isoTime),
  /** Its branches that succeeded / failed (ordinals), as of its last end. */
  succeeded: z.int().check(z.nonnegative()),
  failed: z.array(z.int().check(z.nonnegative())),
  /** Its records were merged into this session (`taskflow merge`). */
  merged: z.boolean(),
});

export const manifestSchema = z.object({
  schemaVersion: z.union([z.literal(1), z.literal(MANIFEST_SCHEMA_VERSION)]),
  id: z.string(),
  status: sessionStatusSchema,
  createdAt: isoTime,
  updatedAt: isoTime,
  finishedAt: z.optional(isoTime),
  taskflow: taskflowReferenceSchema,
  /** Globals after CLI overrides (redacted by the caller). */
  globals: z.record(z.string(), z.unknown()),
  /**
   * Set in manifest.json instead of `globals` when they are large (LARGE_GLOBALS_BYTES):
   * the manifest is rewritten at every step, so they stay only in the journal's
   * `session-start` record, from which loadManifest restores them.
   */
  globalsInJournal: z.optional(z.literal(true)),
  modelConfig: z.optional(z.string()),
  /** The folder the run started in: resume loads definitions and runs shell tasks there. */
  workingDirectory: z.optional(z.string()),
  /** Absolute extra search roots of the run (`--path`, `TASKFLOW_PATH`), in order. */
  searchPaths: z.optional(z.array(z.string())),
  fingerprint: fingerprintSchema,
  runner: runnerSchema,
  error: z.optional(manifestErrorSchema),
  resumeNotBefore: z.optional(isoTime),
  tasks: z.array(manifestTaskSchema),
  usage: usageSchema,
  /** Output id -> a short preview of its value. */
  outputs: z.record(z.string(), z.string()),
  /**
   * The highest journal `seq` written (and synced) before this manifest: a journal that
   * ends earlier lost records (journal-coverage.ts). Absent in older sessions.
   */
  journalSeq: z.optional(z.int().check(z.nonnegative())),
  /** Shard runs of fan-out tasks, in the order they started (version 2). */
  shards: z.optional(z.array(manifestShardSchema)),
});

/** Globals whose JSON may be larger than this are not copied into manifest.json. */
export const LARGE_GLOBALS_BYTES = 64 * 1024;

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestTask = z.infer<typeof manifestTaskSchema>;
export type ManifestShard = z.infer<typeof manifestShardSchema>;
export type SessionStatus = z.infer<typeof sessionStatusSchema>;
export type SessionFingerprint = z.infer<typeof fingerprintSchema>;
export type TaskFingerprint = z.infer<typeof taskFingerprintSchema>;
export type TaskflowReference = z.infer<typeof taskflowReferenceSchema>;

/** A task entry that has not run yet. */
export function pendingTask(index: number, name: string): ManifestTask {
  return {
    index,
    name,
    status: 'pending',
    usage: { inputTokens: 0, outputTokens: 0 },
    requests: 0,
    retries: {},
    waitMs: 0,
  };
}

/**
 * Parses and validates a manifest (any JSON value).
 *
 * @throws TaskflowError 'session' for a newer schema version (naming it) or invalid content
 */
export function parseManifest(value: unknown, filePath: string): Manifest {
  const version = (value as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof version === 'number' && version > MANIFEST_SCHEMA_VERSION) {
    throw new TaskflowError(
      'session',
      `session manifest schema version ${version} is newer than this taskflow supports (${MANIFEST_SCHEMA_VERSION}); upgrade taskflow`,
      { filePath },
    );
  }
  const parsed = manifestSchema.safeParse(withPlaceholderGlobals(value));
  if (!parsed.success) {
    throw new TaskflowError('session', `${filePath}: invalid session manifest`, {
      filePath,
      details: parsed.error.issues.map(
        (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
      ),
    });
  }
  return parsed.data;
}

/**
 * Reads `<dir>/manifest.json`.
 *
 * @throws TaskflowError 'session' when it is missing, not JSON, invalid or of a newer version
 */
export function readManifest(dir: string): Manifest {
  return readManifestFile(path.join(dir, MANIFEST_FILE));
}

/** Reads and validates a manifest file by its path (see readManifest). */
export function readManifestFile(filePath: string): Manifest {
  let text: string;
  try {
    text = fs.readFileSync(filePath, 'utf8');
  } catch (error) {
    throw new TaskflowError('session', `cannot read ${filePath}: ${errorMessage(error)}`, {
      cause: error,
      filePath,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TaskflowError('session', `${filePath}: not valid JSON (${errorMessage(error)})`, {
      cause: error,
      filePath,
    });
  }
  return parseManifest(value, filePath);
}

/**
 * Validates and atomically replaces `<dir>/manifest.json` (see `writeFileAtomic`).
 *
 * @throws TaskflowError 'internal' when `manifest` is invalid, 'io' when it cannot be written
 */
export function writeManifest(dir: string, manifest: Manifest): void {
  const filePath = path.join(dir, MANIFEST_FILE);
  const parsed = manifestSchema.safeParse(manifest);
  if (!parsed.success) {
    throw new TaskflowError('internal', `refusing to write an invalid session manifest`, {
      filePath,
      details: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    });
  }
  const stored: Record<string, unknown> = { ...parsed.data };
  delete stored.globalsInJournal;
  if (jsonMayExceed(parsed.data.globals, LARGE_GLOBALS_BYTES)) {
    delete stored.globals;
    stored.globalsInJournal = true;
  }
  writeFileAtomic(filePath, `${JSON.stringify(stored, null, 2)}\n`);
}

/** A manifest file whose globals are in the journal reads with `{}` until loadManifest
 *  restores them. */
function withPlaceholderGlobals(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const fields = value as { globalsInJournal?: unknown; globals?: unknown };
  return fields.globalsInJournal === true && fields.globals === undefined
    ? { ...fields, globals: {} }
    : value;
}
