import fs from 'node:fs';
import path from 'node:path';
import { TaskflowError, errorMessage } from '../errors.js';
import type { JournalRecord } from './journal-records.js';
import { MANIFEST_FILE, MANIFEST_SCHEMA_VERSION, readManifest, type Manifest } from './manifest.js';
import { rebuildManifest } from './rebuild-manifest.js';

/**
 * manifest.json, or (when it is missing or damaged) the manifest rebuilt from the journal
 * with a note saying why. A newer schema version or another session's manifest is never
 * replaced: those errors are thrown, as is a damaged manifest without a journal. Large
 * globals, which manifest.json leaves to the journal (`globalsInJournal`), are restored
 * from its `session-start` record.
 */
export function loadManifest(
  dir: string,
  id: string,
  records: readonly JournalRecord[] | undefined,
): { manifest: Manifest; rebuilt?: string } {
  const filePath = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(filePath)) {
    return {
      manifest: rebuildManifest(id, records ?? []),
      rebuilt: `${filePath} was missing; rebuilt it from the journal`,
    };
  }
  let manifest: Manifest;
  try {
    manifest = checkedManifest(dir, id);
  } catch (error) {
    if (!records?.length || !isDamaged(filePath, id)) throw error;
    return {
      manifest: rebuildManifest(id, records),
      rebuilt: `${errorMessage(error)}; rebuilt the manifest from the journal`,
    };
  }
  if (manifest.globalsInJournal) {
    // Large globals live only in the session-start record. Without it they stay empty:
    // resume refuses such a journal anyway (journal-coverage.ts).
    const start = records?.find((record) => record.type === 'session-start');
    if (start?.type === 'session-start') {
      manifest.globals = start.globals;
      delete manifest.globalsInJournal;
    }
  }
  return { manifest };
}

/** True unless the file is valid JSON naming a newer schema version or another session. */
function isDamaged(filePath: string, id: string): boolean {
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(filePath, 'utf8'));
  } catch {
    return true;
  }
  const fields = (value ?? {}) as { schemaVersion?: unknown; id?: unknown };
  const newer =
    typeof fields.schemaVersion === 'number' && fields.schemaVersion > MANIFEST_SCHEMA_VERSION;
  const foreign = typeof fields.id === 'string' && fields.id !== id;
  return !newer && !foreign;
}

function checkedManifest(dir: string, id: string): Manifest {
  const manifest = readManifest(dir);
  if (manifest.id !== id) {
    throw new TaskflowError(
      'session',
      `${path.join(dir, MANIFEST_FILE)}: manifest id ${manifest.id} does not match its folder ${id}`,
    );
  }
  return manifest;
}
