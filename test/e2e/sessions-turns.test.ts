import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { toolResultsOf, type FakeReply, type RecordedRequest } from '../fakes/fake-model-server.js';
import {
  crash,
  journalOf,
  modelRequests,
  onlySession,
  runToEnd,
  startCli,
  useSessionsWorkspace,
  waitFor,
  writeFlow,
} from './sessions-kit.js';

/**
 * Turn-level resume (sessions.md "Resume" 6-7): killed after tool calls that write files
 * (bundled memcache and logbook servers, both non-idempotent tools) and before the next
 * model turn; the resume executes no tool again and sends the model exactly the
 * conversation the blocked request carried.
 */

const flowBody = (api: string) => `
model_config: model_configs/${api}.yaml
taskflow:
  - task:
      name: take notes
      agents: [personalities.noter]
      model: main
      user_prompt: Record note-1 and note-2, then report.
`;

/**
 * Turn 1: two calls in parallel (memcache add + logbook); turn 2: one more memcache add
 * entry; turn 3: the final answer.
 */
function noteTaker(request: RecordedRequest): FakeReply {
  const results = toolResultsOf(request).length;
  if (results === 0) {
    return {
      kind: 'message',
      text: 'Recording the first note.',
      toolCalls: [
        {
          id: 'call_log_1',
          name: 'memcache__memcache_add_state',
          arguments: { key: 'notes', value: 'note-1' },
        },
        {
          id: 'call_book_1',
          name: 'logbook__logbook_write',
          arguments: { entry: 'note-1', key: 'notes' },
        },
      ],
    };
  }
  if (results === 2) {
    return {
      kind: 'message',
      toolCalls: [
        {
          id: 'call_log_2',
          name: 'memcache__memcache_add_state',
          arguments: { key: 'notes', value: 'note-2' },
        },
      ],
    };
  }
  return { kind: 'message', text: `done after ${results} tool results` };
}

/** The conversation of a request as sent (chat `messages` or responses `input`), as JSON text. */
const conversationJson = (request: RecordedRequest): string =>
  JSON.stringify(request.api === 'responses' ? request.body.input : request.body.messages);

const workspace = useSessionsWorkspace();

/** Writes the tools made: memcache rows (sqlite backend, one per add) and logbook entries. */
function sideEffects(): { notes: number; logbook: number } {
  const { sandbox } = workspace;
  const memcache = JSON.parse(
    fs.readFileSync(path.join(sandbox, 'memcache', 'memory.sqlite.json'), 'utf8'),
  ) as { rows: { key: string }[] };
  const logbook = JSON.parse(
    fs.readFileSync(path.join(sandbox, 'logbook', 'logbook.json'), 'utf8'),
  ) as Record<string, unknown[]>;
  return {
    notes: memcache.rows.filter((row) => row.key === 'notes').length,
    logbook: logbook.notes?.length ?? 0,
  };
}

describe.each(['chat', 'responses'])('killed before the third model turn (%s API)', (api) => {
  it('resumes without executing a tool again, with a byte-identical conversation', async () => {
    const { server, sandbox, work } = workspace;
    writeFlow(work, 'flow', flowBody(api));
    let blocked: RecordedRequest | undefined;
    server.setHandler((request) => {
      if (toolResultsOf(request).length === 3) {
        blocked = request;
        return { kind: 'stall' };
      }
      return noteTaker(request);
    });
    const first = startCli(server, sandbox, ['run', 'flow.yaml', '--output', 'plain'], {
      cwd: work,
    });
    await waitFor('the third model turn', () => blocked !== undefined);
    await crash(first);
    expect(sideEffects()).toEqual({ notes: 2, logbook: 1 });
    const id = onlySession(sandbox);
    const types = journalOf(sandbox, id).map((line) => line.type);
    expect(types.filter((type) => type === 'turn-commit')).toHaveLength(2);
    expect(types.filter((type) => type === 'tool-result')).toHaveLength(3);

    server.setHandler(noteTaker);
    const before = modelRequests(server).length;
    const resumed = await runToEnd(server, sandbox, ['resume', id, '--output', 'plain'], {
      cwd: work,
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    const requests = modelRequests(server).slice(before);
    expect(requests).toHaveLength(1);
    const [again] = requests as [RecordedRequest];
    expect(conversationJson(again)).toBe(conversationJson(blocked as RecordedRequest));
    expect(JSON.stringify(again.body)).toBe(JSON.stringify((blocked as RecordedRequest).body));
    expect(sideEffects()).toEqual({ notes: 2, logbook: 1 });
    const journal = journalOf(sandbox, id);
    expect(journal.filter((line) => line.type === 'tool-intent')).toHaveLength(3);
    const end = journal.filter((line) => line.type === 'task-end').at(-1);
    expect(end?.status).toBe('succeeded');
    // capture defaults to the last tool result: restored from the journal, not re-run.
    expect((end?.result as { value: unknown }).value).toBe(
      'Updated and added to value in memory for key: `notes`',
    );
  });
});

describe('killed while tool calls are in flight', () => {
  it('re-runs only the read-only call; the other is reported to the model as of unknown outcome', async () => {
    const { server, sandbox, work } = workspace;
    writeFlow(
      work,
      'flow',
      `
taskflow:
  - task:
      name: note
      agents: [personalities.parker]
      user_prompt: Append note-1, read the notes, then report.
`,
    );
    const log = path.join(sandbox, 'parked.log');
    const flag = path.join(sandbox, 'parked.flag');
    fs.writeFileSync(flag, '');
    const env = { PARKED_LOG: log, PARKED_FLAG: flag };
    const calls = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : []);
    server.setHandler((request) => {
      if (toolResultsOf(request).length > 0) return { kind: 'message', text: 'reported' };
      return {
        kind: 'message',
        toolCalls: [
          { id: 'call_append', name: 'parked__append_note', arguments: { note: 'note-1' } },
          { id: 'call_read', name: 'parked__read_notes', arguments: {} },
        ],
      };
    });
    const first = startCli(server, sandbox, ['run', 'flow.yaml', '--output', 'plain'], {
      cwd: work,
      env,
    });
    await waitFor('both tools to run', () => calls().length === 2);
    await crash(first);
    const id = onlySession(sandbox);
    const types = journalOf(sandbox, id).map((line) => line.type);
    expect(types.filter((type) => type === 'tool-intent')).toHaveLength(2);
    expect(types).not.toContain('tool-result');

    fs.rmSync(flag);
    const before = modelRequests(server).length;
    const resumed = await runToEnd(server, sandbox, ['resume', id, '--output', 'plain'], {
      cwd: work,
      env,
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(calls().sort()).toEqual(['append_note note-1', 'read_notes', 'read_notes']);
    const requests = modelRequests(server).slice(before);
    expect(requests).toHaveLength(1);
    expect(toolResultsOf(requests[0] as RecordedRequest)).toEqual([
      { callId: 'call_append', output: 'interrupted before completion; outcome unknown' },
      { callId: 'call_read', output: 'notes: none' },
    ]);
  });
});
