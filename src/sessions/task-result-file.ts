import fs from 'node:fs';
import path from 'node:path';
import { TaskflowError, errorMessage } from '../errors.js';
import type { TaskResult } from '../engine/run-types.js';
import { writeFileAtomic } from './atomic-write.js';

/** Results whose JSON is larger than this go to a side file instead of the journal. */
export const LARGE_RESULT_BYTES = 64 * 1024;
export const RESULTS_FOLDER = 'results';

/** Where a stored result lives: inline, or in a side file relative to the session folder. */
export interface StoredResult {
  readonly result?: TaskResult;
  readonly resultFile?: string;
}

/**
 * Writes `result` to `results/<name>.json` (atomically) when its JSON exceeds
 * LARGE_RESULT_BYTES and returns the record fields to store: `{ resultFile }` then,
 * else `{ result }` unchanged. A value that is its source's text or structured content
 * (a shell task's plain output, a tool's structured result) is written once, with
 * `valueIs` saying where it is.
 */
export function storeResult(sessionDir: string, name: string, result: TaskResult): StoredResult {
  const json = JSON.stringify(withoutCopies(result));
  if (Buffer.byteLength(json) <= LARGE_RESULT_BYTES) return { result };
  const resultFile = `${RESULTS_FOLDER}/${name}.json`;
  fs.mkdirSync(path.join(sessionDir, RESULTS_FOLDER), { recursive: true, mode: 0o700 });
  writeFileAtomic(path.join(sessionDir, resultFile), json);
  return { resultFile };
}

/**
 * The result of a `task-end` / `item-end` record (or a replayed task or item): inline, or
 * read from its side file. Undefined when the record holds none.
 *
 * @throws TaskflowError 'session' when the side file is missing or unreadable
 */
export function readTaskResult(sessionDir: string, stored: StoredResult): TaskResult | undefined {
  if (stored.result !== undefined) return stored.result;
  if (stored.resultFile === undefined) return undefined;
  const filePath = path.resolve(sessionDir, stored.resultFile);
  if (!filePath.startsWith(path.resolve(sessionDir) + path.sep)) {
    throw new TaskflowError('session', `result file ${stored.resultFile} is outside the session`);
  }
  try {
    return withCopies(JSON.parse(fs.readFileSync(filePath, 'utf8')) as StoredTaskResult);
  } catch (error) {
    throw new TaskflowError(
      'session',
      `cannot read result file ${filePath}: ${errorMessage(error)}`,
      {
        cause: error,
        filePath,
      },
    );
  }
}

/** A task result as stored: `value` left out when `valueIs` names the field holding it. */
type StoredTaskResult =
  | TaskResult
  | { readonly valueIs: 'text' | 'structuredContent'; readonly source: TaskResult['source'] };

function withoutCopies(result: TaskResult): StoredTaskResult {
  const { value, source } = result;
  if (typeof value === 'string' && value === source.text) return { valueIs: 'text', source };
  if (value !== undefined && value !== null && value === source.structuredContent)
    return { valueIs: 'structuredContent', source };
  return result;
}

function withCopies(stored: StoredTaskResult): TaskResult {
  if (!('valueIs' in stored)) return stored;
  const { source } = stored;
  return { value: stored.valueIs === 'text' ? source.text : source.structuredContent, source };
}
