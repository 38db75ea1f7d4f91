import fs from 'node:fs';
import { TaskflowError, errorMessage } from '../errors.js';
import {
  JOURNAL_RECORD_TYPES,
  JOURNAL_SCHEMA_VERSION,
  journalRecordSchema,
  type JournalRecord,
} from './journal-records.js';

export const JOURNAL_FILE = 'journal.jsonl';

export interface JournalContents {
  readonly records: readonly JournalRecord[];
  /** The highest `seq` seen (records of unknown types included); 0 for an empty journal. */
  readonly lastSeq: number;
  /** Final lines ignored as torn writes (0 or 1). */
  readonly tornLines: number;
  /** Byte length of the intact prefix (where an appender continues). */
  readonly validBytes: number;
  /** Human notes: torn line ignored, unknown record types skipped. */
  readonly warnings: readonly string[];
}

/** The contents of a journal that does not exist yet. */
export const EMPTY_JOURNAL: JournalContents = {
  records: [],
  lastSeq: 0,
  tornLines: 0,
  validBytes: 0,
  warnings: [],
};

/**
 * Reads a journal. A final line that is not newline-terminated or not JSON is a torn
 * write (crash mid-append) and is ignored; records of unknown types are skipped with a
 * warning (written by a newer taskflow).
 *
 * @throws TaskflowError 'session' naming the line for a corrupt line before the last one,
 *   a record that fails validation, a newer journal version, or an unreadable file
 */
export function readJournal(filePath: string): JournalContents {
  let buffer: Buffer;
  try {
    buffer = fs.readFileSync(filePath);
  } catch (error) {
    throw new TaskflowError('session', `cannot read ${filePath}: ${errorMessage(error)}`, {
      cause: error,
      filePath,
    });
  }
  const records: JournalRecord[] = [];
  const warnings: string[] = [];
  let lastSeq = 0;
  let offset = 0;
  let lineNumber = 0;
  let tornLines = 0;
  while (offset < buffer.length) {
    lineNumber++;
    const newline = buffer.indexOf(0x0a, offset);
    const end = newline === -1 ? buffer.length : newline;
    const isLast = newline === -1 || newline + 1 === buffer.length;
    const text = buffer.subarray(offset, end).toString('utf8');
    let value: unknown;
    try {
      if (newline === -1) throw new Error('no newline at the end');
      value = JSON.parse(text);
    } catch (error) {
      if (isLast) {
        tornLines = 1;
        warnings.push(`${filePath}:${lineNumber}: ignored an incomplete final line (torn write)`);
        break;
      }
      throw new TaskflowError(
        'session',
        `${filePath}:${lineNumber}: corrupt journal line (${errorMessage(error)})`,
        { cause: error, filePath, line: lineNumber },
      );
    }
    offset = end + 1;
    const record = parseRecord(value, filePath, lineNumber, warnings);
    const seq = (value as { seq?: unknown }).seq;
    if (typeof seq === 'number' && seq > lastSeq) lastSeq = seq;
    if (record) records.push(record);
  }
  return { records, lastSeq, tornLines, validBytes: offset, warnings };
}

function parseRecord(
  value: unknown,
  filePath: string,
  lineNumber: number,
  warnings: string[],
): JournalRecord | undefined {
  const where = `${filePath}:${lineNumber}`;
  const type = (value as { type?: unknown } | null)?.type;
  if (typeof type === 'string' && !JOURNAL_RECORD_TYPES.has(type)) {
    warnings.push(`${where}: skipped a journal record of unknown type "${type}"`);
    return undefined;
  }
  const version = (value as { schemaVersion?: unknown }).schemaVersion;
  if (type === 'session-start' && typeof version === 'number' && version > JOURNAL_SCHEMA_VERSION) {
    throw new TaskflowError(
      'session',
      `session journal schema version ${version} is newer than this taskflow supports (${JOURNAL_SCHEMA_VERSION}); upgrade taskflow`,
      { filePath, line: lineNumber },
    );
  }
  const parsed = journalRecordSchema.safeParse(value);
  if (!parsed.success) {
    throw new TaskflowError('session', `${where}: invalid journal record`, {
      filePath,
      line: lineNumber,
      details: parsed.error.issues.map(
        (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
      ),
    });
  }
  return parsed.data;
}
