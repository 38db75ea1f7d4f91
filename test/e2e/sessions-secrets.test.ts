import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { toolResultsOf, type FakeReply, type RecordedRequest } from '../fakes/fake-model-server.js';
import {
  crash,
  journalOf,
  onlySession,
  runToEnd,
  sessionsRoot,
  startCli,
  useSessionsWorkspace,
  waitFor,
} from './sessions-kit.js';

/**
 * No secrets at rest (sessions.md "Journal records", cli.md "Logs"): the token and a value
 * read with env() (in a task env, a toolbox env and a prompt, then echoed back by a tool
 * and by the model) appear in no file of the session folder or the log folder, also with
 * --debug and across a crash and resume.
 */

const TOKEN = 'tok-SECRET-1234567890';
const SECRET = 'val-SECRET-abcdef';

const FLOW = `
taskflow:
  - task:
      name: shell sees the secret
      env:
        TASK_SECRET: "{{ env('SECRET_VALUE') }}"
      run: echo "shell saw $TASK_SECRET"
  - task:
      name: tool sees the secret
      agents: [personalities.prober]
      user_prompt: "Check that PROBE_SECRET is {{ env('SECRET_VALUE') }} using echo_env."
`;

/** Turn 1 asks the toolbox for its secret env value; turn 2 repeats what came back. */
function prober(request: RecordedRequest): FakeReply {
  const results = toolResultsOf(request);
  if (results.length === 0) {
    return {
      kind: 'message',
      text: 'Probing.',
      toolCalls: [
        { id: 'call_probe', name: 'secret_probe__echo_env', arguments: { name: 'PROBE_SECRET' } },
      ],
    };
  }
  return { kind: 'message', text: `The server said: ${results[0]?.output ?? ''}` };
}

const workspace = useSessionsWorkspace({ flow: FLOW });

function filesUnder(folder: string): string[] {
  if (!fs.existsSync(folder)) return [];
  return fs
    .readdirSync(folder, { recursive: true, withFileTypes: true })
    .flatMap((entry) => (entry.isFile() ? [path.join(entry.parentPath, entry.name)] : []));
}

const env = { AI_API_TOKEN: TOKEN, SECRET_VALUE: SECRET };

describe('secrets at rest', () => {
  it('never reach the session files or the logs, through a crash and a resume', async () => {
    const { server, sandbox, work } = workspace;
    let parked = false;
    server.setHandler((request) => {
      // The second turn (after the tool returned the secret) parks until the crash.
      if (toolResultsOf(request).length > 0 && !parked) {
        parked = true;
        return { kind: 'stall' };
      }
      return prober(request);
    });
    const first = startCli(server, sandbox, ['run', 'flow.yaml', '--output', 'plain', '-d'], {
      cwd: work,
      env,
    });
    await waitFor('the turn after the tool call', () => parked);
    await crash(first);
    const id = onlySession(sandbox);
    // The tool really returned the secret to the model, and the token was sent.
    const sent = server.requests.at(-1) as RecordedRequest;
    expect(toolResultsOf(sent)[0]?.output).toContain(SECRET);
    expect(sent.headers.authorization).toBe(`Bearer ${TOKEN}`);

    server.setHandler(prober);
    const resumed = await runToEnd(server, sandbox, ['resume', id, '--output', 'plain', '-d'], {
      cwd: work,
      env,
    });
    expect(resumed.code, resumed.stderr).toBe(0);

    const journal = journalOf(sandbox, id);
    // What would have held the secrets is there, redacted.
    const shellEnd = journal.find((line) => line.type === 'task-end' && line.task === 0);
    expect(JSON.stringify(shellEnd)).toContain('shell saw [redacted]');
    const toolResult = journal.find((line) => line.type === 'tool-result');
    expect(toolResult?.content).toContain('[redacted]');
    const itemStart = journal.find((line) => line.type === 'item-start');
    expect(itemStart?.prompt).toBe('Check that PROBE_SECRET is [redacted] using echo_env.');

    const files = [
      ...filesUnder(path.join(sessionsRoot(sandbox), id)),
      ...filesUnder(path.join(sandbox, 'state', 'taskflow')),
    ];
    expect(files.some((file) => file.endsWith('taskflow.log'))).toBe(true);
    expect(files.some((file) => file.endsWith('journal.jsonl'))).toBe(true);
    const leaks = files.filter((file) => {
      const text = fs.readFileSync(file, 'utf8');
      return text.includes(TOKEN) || text.includes(SECRET);
    });
    expect(leaks).toEqual([]);
  });
});
