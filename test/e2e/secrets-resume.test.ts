import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  lastUserText,
  toolResultsOf,
  type FakeReply,
  type RecordedRequest,
} from '../fakes/fake-model-server.js';
import {
  crash,
  FLOW_HEADER,
  journalOf,
  manifestOf,
  onlySession,
  runToEnd,
  sessionIds,
  startCli,
  taskResults,
  useSessionsWorkspace,
  waitFor,
} from './sessions-kit.js';

/**
 * Issue 10 defect 1: env() values such as GITHUB_MCP_READONLY=true and a release 2026.1
 * are data, not secrets. A run whose tool returns JSON holding them succeeds, and a run
 * killed with SIGKILL and resumed ends with outputs byte-identical to an uninterrupted one.
 */

const ENV = { GITHUB_MCP_READONLY: 'true', RELEASE: '2026.1' };
const FLAGS = '{"ok": true, "readonly": true, "release": "release-2026.1", "version": 2026.1}';

const FLOW = `
taskflow:
  - task:
      name: fetch flags
      id: flags
      agents: [personalities.flagger]
      user_prompt: "Fetch the flags of release {{ env('RELEASE') }}."
  - task:
      name: notes
      id: notes
      agents: [personalities.plain]
      user_prompt: "Write notes for {{ outputs.flags | tojson }}"
  - task:
      name: final
      id: final
      agents: [personalities.plain]
      user_prompt: "Finish {{ outputs.notes | tojson }} with {{ outputs.flags | tojson }}"
`;

/** Echoes the flags JSON once; later prompts are answered from what they quote. */
function model(request: RecordedRequest): FakeReply {
  const prompt = lastUserText(request) ?? '';
  if (prompt.startsWith('Fetch')) {
    if (toolResultsOf(request).length === 0) {
      return {
        kind: 'message',
        toolCalls: [{ name: 'flags__echo', arguments: { message: FLAGS } }],
      };
    }
    return { kind: 'message', text: 'fetched' };
  }
  if (prompt.startsWith('Write')) {
    return { kind: 'message', text: 'Notes for release-2026.1: readonly is true, ok is true.' };
  }
  return { kind: 'message', text: `final: ${prompt}` };
}

const workspace = useSessionsWorkspace({ flow: FLOW });

beforeEach(() => {
  const { work } = workspace;
  fs.writeFileSync(
    path.join(work, 'toolboxes', 'flags.yaml'),
    `${FLOW_HEADER('toolbox')}server_params:\n  kind: stdio\n  command: "{{ runner.node }}"\n  args: ["{{ runner.root }}/dist/mcp-servers/echo.js"]\n  env:\n    READONLY: "{{ env('GITHUB_MCP_READONLY') }}"\n    RELEASE: "{{ env('RELEASE') }}"\n    TASKFLOW_ECHO_DIAGNOSTICS: "1"\n`,
  );
  fs.writeFileSync(
    path.join(work, 'personalities', 'flagger.yaml'),
    `${FLOW_HEADER('personality')}personality: You fetch flags.\ntask: Use your tools as asked.\ntoolboxes:\n  - toolboxes.flags\n`,
  );
});

/** What a run produced: its task results (the last one quotes the prompt it got) and outputs. */
function outputsOf(id: string): string {
  const { sandbox } = workspace;
  return JSON.stringify({
    results: [...taskResults(journalOf(sandbox, id))],
    outputs: manifestOf(sandbox, id).outputs,
  });
}

/** The session `run` created. */
function newSession(before: readonly string[]): string {
  const { sandbox } = workspace;
  const [id] = sessionIds(sandbox).filter((candidate) => !before.includes(candidate));
  if (id === undefined) throw new Error('no new session');
  return id;
}

describe('env() values that are data', () => {
  it('leave JSON results intact, and a resumed run ends as an uninterrupted one', async () => {
    const { server, sandbox, work } = workspace;
    server.setHandler(model);
    const cassette = path.join(sandbox, 'flags.jsonl');
    const whole = await runToEnd(
      server,
      sandbox,
      ['run', 'flow.yaml', '--output', 'plain', '--record', cassette],
      { cwd: work, env: ENV },
    );
    expect(whole.code, whole.stderr).toBe(0);
    const wholeId = onlySession(sandbox);
    const uninterrupted = outputsOf(wholeId);
    const flags = taskResults(journalOf(sandbox, wholeId)).get(0) as { value: unknown };
    expect(flags.value).toEqual(JSON.parse(FLAGS));
    expect(uninterrupted).toContain('release-2026.1: readonly is true');
    expect(uninterrupted).not.toContain('[redacted]');

    // The recording answers a replay that ends the same way.
    const replayed = await runToEnd(
      server,
      sandbox,
      ['run', 'flow.yaml', '--output', 'plain', '--replay', cassette],
      { cwd: work, env: ENV },
    );
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(outputsOf(newSession([wholeId]))).toBe(uninterrupted);
    const before = sessionIds(sandbox);

    // Again, killed while the last task waits for the model, then resumed.
    let parked = false;
    server.setHandler((request) => {
      if (lastUserText(request)?.startsWith('Finish') && !parked) {
        parked = true;
        return { kind: 'stall' };
      }
      return model(request);
    });
    const running = startCli(server, sandbox, ['run', 'flow.yaml', '--output', 'plain'], {
      cwd: work,
      env: ENV,
    });
    await waitFor('the last task', () => parked);
    await crash(running);
    const id = newSession(before);
    server.setHandler(model);
    const resumed = await runToEnd(server, sandbox, ['resume', id, '--output', 'plain'], {
      cwd: work,
      env: ENV,
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(outputsOf(id)).toBe(uninterrupted);
  }, 60_000);
});
