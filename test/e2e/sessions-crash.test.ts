import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { messagesOf, type RecordedRequest } from '../fakes/fake-model-server.js';
import { makeSandbox } from './cli-harness.js';
import {
  answerItems,
  crashAfterItems,
  isSummary,
  itemOf,
  itemsFlow,
  journalOf,
  manifestOf,
  modelRequests,
  onlySession,
  runToEnd,
  sessionsRoot,
  taskResults,
  useSessionsWorkspace,
  writeFlow,
  writeWorkspace,
} from './sessions-kit.js';

/**
 * Crash and resume end to end (sessions.md "Resume", quality.md "Crash tests"): the built
 * CLI is SIGKILLed in the middle of a 20-item repeat_prompt; `taskflow resume` sends
 * requests only for the unfinished items and the last task, and ends with what an
 * uninterrupted run produces.
 */

const ITEMS = 20;
const DONE_BEFORE_CRASH = 8;

const workspace = useSessionsWorkspace({ handler: answerItems });

/** An uninterrupted run of the same flow in its own sandbox: what resume must reproduce. */
async function referenceRun(async: boolean) {
  const { server } = workspace;
  const reference = makeSandbox();
  try {
    const referenceWork = writeWorkspace(reference);
    writeFlow(referenceWork, 'flow', itemsFlow(ITEMS, { async }));
    const before = modelRequests(server).length;
    const result = await runToEnd(server, reference, ['run', 'flow.yaml', '--output', 'plain'], {
      cwd: referenceWork,
    });
    expect(result.code, result.stderr).toBe(0);
    const requests = modelRequests(server).slice(before);
    return { results: taskResults(journalOf(reference, onlySession(reference))), requests };
  } finally {
    fs.rmSync(reference, { recursive: true, force: true });
  }
}

const summaryOf = (requests: readonly RecordedRequest[]): RecordedRequest => {
  const found = requests.filter(isSummary);
  expect(found).toHaveLength(1);
  return found[0] as RecordedRequest;
};

describe.each([
  // Sequential (the acceptance case): exactly item 9's request is in flight at the kill,
  // so "8 done, 12 to go" is exact.
  { async: false, inFlight: 1 },
  // Concurrent (async_limit 4): items 9-12 are in flight; none of them may count as done.
  { async: true, inFlight: 4 },
])('SIGKILL after 8 of 20 items (async: $async)', ({ async, inFlight }) => {
  it('resume requests only the 12 unfinished items and task 3, and ends as an uninterrupted run', async () => {
    const { server, sandbox, work } = workspace;
    const expected = await referenceRun(async);
    expect(expected.requests).toHaveLength(ITEMS + 1);

    writeFlow(work, 'flow', itemsFlow(ITEMS, { async }));
    const { id, killed, pid } = await crashAfterItems(server, sandbox, work, {
      doneBefore: DONE_BEFORE_CRASH,
      inFlight,
    });
    expect(killed.stdout + killed.stderr).toContain(id);
    const itemEnds = journalOf(sandbox, id).filter((line) => line.type === 'item-end');
    // Concurrent items may end in any order.
    expect(itemEnds.map((line) => line.item as number).sort((a, b) => a - b)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7,
    ]);
    // The killed process could not remove its lock: resume must take it over.
    const lock = path.join(sessionsRoot(sandbox), id, 'lock');
    expect(JSON.parse(fs.readFileSync(lock, 'utf8'))).toMatchObject({ pid });

    const before = modelRequests(server).length;
    const resumed = await runToEnd(server, sandbox, ['resume', id, '--output', 'plain'], {
      cwd: work,
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    const requests = modelRequests(server).slice(before);
    expect(requests).toHaveLength(ITEMS - DONE_BEFORE_CRASH + 1);
    const items = requests.filter((request) => !isSummary(request)).map(itemOf);
    expect(items.sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(
      Array.from({ length: ITEMS - DONE_BEFORE_CRASH }, (_, index) => index + DONE_BEFORE_CRASH),
    );

    // Same task results, and the last task saw exactly the conversation of an uninterrupted run.
    expect(taskResults(journalOf(sandbox, id))).toEqual(expected.results);
    expect(JSON.stringify(messagesOf(summaryOf(requests)))).toBe(
      JSON.stringify(messagesOf(summaryOf(expected.requests))),
    );
    const manifest = manifestOf(sandbox, id) as { status: string; tasks: { status: string }[] };
    expect(manifest.status).toBe('succeeded');
    expect(manifest.tasks.map((task) => task.status)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    expect(fs.existsSync(lock)).toBe(false);
  });
});
