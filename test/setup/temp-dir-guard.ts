import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * vitest globalSetup: the run gets a temp folder of its own (TMPDIR points there before the
 * workers start, so every test, CLI and server they spawn inherits it). At the end the
 * folder must be empty: anything left is named and fails the run, and the folder is removed
 * either way, so `npm test` leaves nothing in the machine's temp dir.
 */
export function setup(): () => void {
  const previous = process.env.TMPDIR;
  const runDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-test-run-'));
  process.env.TMPDIR = runDirectory;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    const leftovers = removeRunDirectory(runDirectory);
    if (leftovers === undefined) return;
    // vitest only logs a teardown error ("error during close"); the exit code fails the run.
    process.exitCode = 1;
    throw new Error(leftovers);
  };
}

const SHOWN = 20;

/**
 * Removes `directory` and everything in it.
 * @returns what the tests left in it, as one message; undefined when it was empty or gone
 */
export function removeRunDirectory(directory: string): string | undefined {
  let leftovers: string[];
  try {
    leftovers = fs.readdirSync(directory).sort();
  } catch {
    leftovers = [];
  }
  fs.rmSync(directory, { recursive: true, force: true });
  if (leftovers.length === 0) return undefined;
  const shown = leftovers.slice(0, SHOWN).join(', ');
  const more = leftovers.length > SHOWN ? ` and ${leftovers.length - SHOWN} more` : '';
  const entries = leftovers.length === 1 ? 'entry' : 'entries';
  return (
    `the tests left ${leftovers.length} ${entries} in the temp dir: ${shown}${more} ` +
    '(remove what a test creates in afterEach/afterAll)'
  );
}
