import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { toolResultsOf, type FakeModelServer } from '../fakes/fake-model-server.js';
import { diligentModel } from './run-kit.js';
import {
  onlySession,
  runToEnd,
  sessionIds,
  sessionsRoot,
  useSessionsWorkspace,
  writeFlow,
} from './sessions-kit.js';

/**
 * Issue 11 point 8: the bundled memcache keeps its state in the session's folder
 * (`<session>/state/memcache`) unless MEMCACHE_STATE_DIR is set, so runs do not share one
 * machine- or user-wide memory, and a resumed session sees what it stored before.
 */

const STORE = `  - task:
      name: store
      agents: [personalities.noter]
      user_prompt: Please store the text "kept-in-session" under the key "note".
`;
const GATE = `  - task:
      name: gate
      must_complete: true
      run: test -f "$GATE_FILE" || exit 3
`;
const READ = `  - task:
      name: read
      agents: [personalities.noter]
      user_prompt: Please read the value stored under the key "note".
`;

/** Every MCP tool result the model was sent, in order. */
function toolOutputs(server: FakeModelServer): string[] {
  return server.requests.flatMap((request) => toolResultsOf(request).map((r) => r.output));
}

/** The sqlite backend's file in a session's own state folder. */
function stateFileOf(sandbox: string, id: string): string {
  return path.join(sessionsRoot(sandbox), id, 'state', 'memcache', 'memory.sqlite.json');
}

const workspace = useSessionsWorkspace({ handler: diligentModel });

describe('memcache state per session', () => {
  it('defaults to the session folder, and a resume sees what the session stored', async () => {
    const { server, sandbox, work } = workspace;
    writeFlow(work, 'flow', `taskflow:\n${STORE}${GATE}${READ}`);
    const gateFile = path.join(sandbox, 'gate-open');
    const env = { MEMCACHE_STATE_DIR: undefined, GATE_FILE: gateFile };
    const first = await runToEnd(server, sandbox, ['run', 'flow', '--output', 'plain'], {
      cwd: work,
      env,
    });
    expect(first.code, first.stderr).toBe(1);
    const id = onlySession(sandbox);
    expect(fs.readFileSync(stateFileOf(sandbox, id), 'utf8')).toContain('kept-in-session');
    // Not the per-user data folder (the old default), nor anything else outside the session.
    expect(fs.existsSync(path.join(sandbox, 'data', 'taskflow', 'memcache'))).toBe(false);

    fs.writeFileSync(gateFile, '');
    const resumed = await runToEnd(server, sandbox, ['resume', id, '--output', 'plain'], {
      cwd: work,
      env,
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(toolOutputs(server).at(-1)).toContain('kept-in-session');
  });

  it('gives a new session a memory of its own', async () => {
    const { server, sandbox, work } = workspace;
    writeFlow(work, 'store', `taskflow:\n${STORE}`);
    writeFlow(work, 'read', `taskflow:\n${READ}`);
    const env = { MEMCACHE_STATE_DIR: undefined };
    const stored = await runToEnd(server, sandbox, ['run', 'store'], { cwd: work, env });
    expect(stored.code, stored.stderr).toBe(0);
    const read = await runToEnd(server, sandbox, ['run', 'read'], { cwd: work, env });
    expect(read.code, read.stderr).toBe(0);
    const ids = sessionIds(sandbox);
    expect(ids).toHaveLength(2);
    const holding = ids.filter((id) => {
      const file = stateFileOf(sandbox, id);
      return fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('kept-in-session');
    });
    expect(holding).toHaveLength(1);
    // The second session read its own, empty memory: seclab's answer for a missing key.
    expect(toolOutputs(server).at(-1)).toBe('""');
  });

  it('still uses MEMCACHE_STATE_DIR when it is set', async () => {
    const { server, sandbox, work } = workspace;
    writeFlow(work, 'store', `taskflow:\n${STORE}`);
    const mine = path.join(sandbox, 'mine');
    const result = await runToEnd(server, sandbox, ['run', 'store'], {
      cwd: work,
      env: { MEMCACHE_STATE_DIR: mine },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(fs.readFileSync(path.join(mine, 'memory.sqlite.json'), 'utf8')).toContain(
      'kept-in-session',
    );
    const id = onlySession(sandbox);
    expect(fs.existsSync(path.join(sessionsRoot(sandbox), id, 'state', 'memcache'))).toBe(false);
  });
});
