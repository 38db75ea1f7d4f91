import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliResult } from './cli-harness.js';
import {
  answerItems,
  crashAfterItems,
  itemsFlow,
  manifestOf,
  runToEnd,
  sessionIds,
  useSessionsWorkspace,
} from './sessions-kit.js';

/**
 * Issue 11 point 3: the flags of run/resume/ask are checked before anything starts — a
 * bad one is one `taskflow: …` line naming it and exit 2 (78 for configuration), with no
 * session created and no model request sent.
 */

const workspace = useSessionsWorkspace({
  handler: answerItems,
  flow: itemsFlow(2),
  // Real path: the CLI names files by the working directory it sees.
  realPath: true,
});

const REMOTE = 'https://models.example.invalid/inference';

function cli(args: readonly string[], env: Record<string, string | undefined> = {}) {
  const { server, sandbox, work } = workspace;
  return runToEnd(server, sandbox, args, { cwd: work, env, timeoutMs: 20_000 });
}

/** Exit code, exactly one stderr line (the error, once), no session, no request. */
function expectRefused(result: CliResult, code: number, message: string | RegExp): void {
  const { server, sandbox } = workspace;
  expect(result.code, result.stdout + result.stderr).toBe(code);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]?.startsWith('taskflow: ')).toBe(true);
  if (typeof message === 'string') expect(lines[0]).toContain(message);
  else expect(lines[0]).toMatch(message);
  expect(result.stderr).not.toMatch(/internal error|EEXIST|\n\s+at /);
  expect(result.stdout).toBe('');
  expect(sessionIds(sandbox)).toEqual([]);
  expect(server.requests).toHaveLength(0);
}

/** Several CLI starts per test. */
const SEVERAL_RUNS = { timeout: 90_000 };

describe('run refuses bad flags before it starts', SEVERAL_RUNS, () => {
  it('--output with an unknown mode', async () => {
    expectRefused(
      await cli(['run', 'flow.yaml', '--output', 'fancy']),
      2,
      '--output: expected one of tty, plain, jsonl, got "fancy"',
    );
  });

  it('--record into a folder that does not exist, or onto a folder', async () => {
    const { sandbox } = workspace;
    const missing = path.join(sandbox, 'nowhere', 'run.jsonl');
    expectRefused(
      await cli(['run', 'flow.yaml', '--record', missing]),
      2,
      `--record ${missing}: folder ${path.dirname(missing)} does not exist`,
    );
    expectRefused(
      await cli(['run', 'flow.yaml', '--record', sandbox]),
      2,
      `--record ${sandbox}: is a folder, not a file`,
    );
  });

  it('--replay of a missing file, a YAML file, a JSON line that is no cassette entry', async () => {
    const { work } = workspace;
    expectRefused(
      await cli(['run', 'flow.yaml', '--replay', 'gone.jsonl']),
      2,
      `--replay ${path.join(work, 'gone.jsonl')}: no such file`,
    );
    expectRefused(
      await cli(['run', 'flow.yaml', '--replay', 'flow.yaml']),
      2,
      /--replay .*flow\.yaml: line 1 is not JSON: not a cassette/,
    );
    fs.writeFileSync(path.join(work, 'other.jsonl'), '{"type":"task-start"}\n');
    expectRefused(
      await cli(['run', 'flow.yaml', '--replay', 'other.jsonl']),
      2,
      /other\.jsonl: line 1 is not a cassette entry/,
    );
    fs.writeFileSync(path.join(work, 'empty.jsonl'), '');
    expectRefused(
      await cli(['run', 'flow.yaml', '--replay', 'empty.jsonl']),
      2,
      /empty\.jsonl: is empty, not a cassette/,
    );
  });

  it('--record together with --replay', async () => {
    const { work } = workspace;
    fs.writeFileSync(path.join(work, 'empty.jsonl'), '');
    expectRefused(
      await cli(['run', 'flow.yaml', '--record', 'new.jsonl', '--replay', 'empty.jsonl']),
      2,
      '--record and --replay cannot be used together',
    );
  });

  it('--session-dir naming a file, or a path under a file', async () => {
    const { sandbox } = workspace;
    const file = path.join(sandbox, 'not-a-folder');
    fs.writeFileSync(file, 'x');
    expectRefused(
      await cli(['run', 'flow.yaml', '--session-dir', file]),
      2,
      `--session-dir ${file}: is a file, not a folder`,
    );
    expectRefused(
      await cli(['run', 'flow.yaml', '--session-dir', path.join(file, 'sessions')]),
      2,
      `cannot be created: ${file} is a file`,
    );
    // The same place from the environment is a configuration error.
    expectRefused(
      await cli(['run', 'flow.yaml'], { TASKFLOW_SESSION_DIR: file }),
      78,
      `session folder ${file}: is a file, not a folder`,
    );
    const listed = await cli(['sessions', 'list', '--session-dir', file]);
    expectRefused(listed, 2, `--session-dir ${file}: is a file, not a folder`);
  });

  it('a remote endpoint without a token: exit 78, no session', async () => {
    expectRefused(
      await cli(['run', 'flow.yaml', '--output', 'plain'], {
        AI_API_ENDPOINT: REMOTE,
        AI_API_TOKEN: undefined,
      }),
      78,
      `no API token for ${REMOTE}: set AI_API_TOKEN or COPILOT_TOKEN`,
    );
  });

  it('a replay needs no token', async () => {
    const { server, work } = workspace;
    const cassette = path.join(work, 'run.jsonl');
    const recorded = await cli(['run', 'flow.yaml', '--output', 'plain', '--record', cassette]);
    expect(recorded.code, recorded.stderr).toBe(0);
    const before = server.requests.length;
    const replayed = await cli(['run', 'flow.yaml', '--output', 'plain', '--replay', cassette], {
      AI_API_ENDPOINT: REMOTE,
      AI_API_TOKEN: undefined,
    });
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(server.requests.length).toBe(before);
  });
});

describe('resume and ask check their flags first too', SEVERAL_RUNS, () => {
  it('resume without a token for a remote endpoint: exit 78, session untouched', async () => {
    const { server, sandbox, work } = workspace;
    const { id } = await crashAfterItems(server, sandbox, work, { doneBefore: 1 });
    const manifest = manifestOf(sandbox, id);
    const requests = server.requests.length;
    const result = await cli(['resume', id, '--output', 'plain'], {
      AI_API_ENDPOINT: REMOTE,
      AI_API_TOKEN: undefined,
    });
    expect(result.code, result.stderr).toBe(78);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      `taskflow: model fake-model: no API token for ${REMOTE}: set AI_API_TOKEN or COPILOT_TOKEN`,
    ]);
    expect(manifestOf(sandbox, id)).toEqual(manifest);
    expect(server.requests.length).toBe(requests);

    const badOutput = await cli(['resume', id, '--output', 'fancy']);
    expect(badOutput.code).toBe(2);
    expect(badOutput.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(manifestOf(sandbox, id)).toEqual(manifest);
  });

  it('ask with a bad --replay or without a token sends nothing', async () => {
    expectRefused(
      await cli(['ask', 'personalities.plain', 'hello', '--replay', 'gone.jsonl']),
      2,
      'gone.jsonl: no such file',
    );
    expectRefused(
      await cli(['ask', 'personalities.plain', 'hello', '--output', 'plain'], {
        AI_API_ENDPOINT: REMOTE,
        AI_API_TOKEN: undefined,
      }),
      78,
      `no API token for ${REMOTE}`,
    );
  });
});
