import path from 'node:path';
import * as z from '../zod.js';
import { TaskflowError, errorMessage } from '../errors.js';

/**
 * What a worker needs to run one fan-out task's branches of a session, besides the
 * taskflow files themselves: which taskflow, the files' hashes (a worker whose files differ
 * refuses), and the values the task's templates read. Written once per task by the
 * coordinator; secrets never enter it (globals and outputs are the journal's redacted ones).
 */
export interface FanOutContext {
  readonly version: 1;
  readonly sessionId: string;
  readonly taskIndex: number;
  readonly taskName: string;
  readonly taskflow: {
    readonly reference: string;
    readonly modelConfig?: string;
    /** `-p` search roots, relative to the working directory where they lie inside it. */
    readonly searchPaths: readonly string[];
  };
  /** Loaded file → SHA-256; paths relative to the working directory where they lie inside it. */
  readonly files: Readonly<Record<string, string>>;
  readonly globals: Readonly<Record<string, unknown>>;
  readonly outputs: Readonly<Record<string, unknown>>;
  readonly headless: boolean;
}

const contextSchema = z.object({
  version: z.literal(1),
  sessionId: z.string(),
  taskIndex: z.int().check(z.nonnegative()),
  taskName: z.string(),
  taskflow: z.object({
    reference: z.string(),
    modelConfig: z.optional(z.string()),
    searchPaths: z.array(z.string()),
  }),
  files: z.record(z.string(), z.string()),
  globals: z.record(z.string(), z.unknown()),
  outputs: z.record(z.string(), z.unknown()),
  headless: z.boolean(),
});

/** @throws TaskflowError 'session' when the stored context is damaged */
export function parseFanOutContext(text: string, where: string): FanOutContext {
  try {
    return contextSchema.parse(JSON.parse(text));
  } catch (error) {
    throw new TaskflowError(
      'session',
      `the queued context of ${where} is damaged: ${errorMessage(error)}`,
    );
  }
}

/** `file` relative to `workingDirectory` when inside it (so machines compare), else as is. */
export function portablePath(file: string, workingDirectory: string): string {
  const relative = path.relative(workingDirectory, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative)
    ? relative.split(path.sep).join('/')
    : file;
}

/** A load's files (absolute path → hash) keyed by portable path. */
export function portableFiles(
  files: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
  workingDirectory: string,
): Record<string, string> {
  const entries: [string, string][] =
    files instanceof Map
      ? [...(files as ReadonlyMap<string, string>).entries()]
      : Object.entries(files as Readonly<Record<string, string>>);
  return Object.fromEntries(
    entries.map(([file, hash]) => [portablePath(file, workingDirectory), hash] as const),
  );
}

/** The files whose hashes differ between two portable file maps, sorted, with how. */
export function differingFiles(
  expected: Readonly<Record<string, string>>,
  actual: Readonly<Record<string, string>>,
): string[] {
  const names = new Set([...Object.keys(expected), ...Object.keys(actual)]);
  const differ: string[] = [];
  for (const name of [...names].sort()) {
    const want = expected[name];
    const have = actual[name];
    if (want === have) continue;
    differ.push(
      want === undefined
        ? `${name} (not in the run)`
        : have === undefined
          ? `${name} (missing)`
          : `${name} (modified)`,
    );
  }
  return differ;
}
