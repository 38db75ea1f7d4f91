import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { TaskflowError, errorMessage } from '../errors.js';

/** Temp files of `writeFileAtomic` start with this; readers never look at them. */
export const TEMP_FILE_PREFIX = '.tmp-';

/**
 * Replaces `filePath` so that after a crash either the old or the new content exists:
 * write a temp file in the same folder, fsync it, rename it over the target, then fsync
 * the folder (best effort: some platforms cannot open a directory).
 *
 * @throws TaskflowError 'io' when the file cannot be written
 */
export function writeFileAtomic(filePath: string, content: string): void {
  const directory = path.dirname(filePath);
  const tempPath = path.join(
    directory,
    `${TEMP_FILE_PREFIX}${path.basename(filePath)}-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  try {
    const fd = fs.openSync(tempPath, 'wx', 0o600);
    try {
      fs.writeFileSync(fd, content);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tempPath, filePath);
  } catch (error) {
    fs.rmSync(tempPath, { force: true });
    throw new TaskflowError('io', `cannot write ${filePath}: ${errorMessage(error)}`, {
      cause: error,
      filePath,
    });
  }
  syncDirectory(directory);
}

/** Makes a rename or create in `directory` durable; ignored where unsupported. */
export function syncDirectory(directory: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(directory, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Windows and some network file systems refuse to open or fsync a directory.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Removes temp files a crash left behind (call only while holding the session lock). */
export function removeStaleTempFiles(directory: string): void {
  for (const name of fs.readdirSync(directory)) {
    if (name.startsWith(TEMP_FILE_PREFIX)) fs.rmSync(path.join(directory, name), { force: true });
  }
}
