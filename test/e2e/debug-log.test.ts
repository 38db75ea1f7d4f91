import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { onlySession, runToEnd, useSessionsWorkspace, writeFlow } from './sessions-kit.js';

/**
 * Issue 11 point 8: every line of the debug log (the rotating file, and stderr with
 * --debug) carries the session id, and a failed model attempt is logged with its status,
 * classification and request id — never the token.
 */

const TOKEN = 'test-token-sessions';
const LOG_LINE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z (debug|info|warn) /;

const workspace = useSessionsWorkspace();

describe('the debug log', () => {
  it('tags every line with the session id and records a model error', async () => {
    const { server, sandbox, work } = workspace;
    writeFlow(
      work,
      'flow',
      `taskflow:\n  - task:\n      agents: [personalities.plain]\n      user_prompt: Say hi.\n`,
    );
    let calls = 0;
    server.setHandler(() => {
      calls += 1;
      if (calls > 1) return { kind: 'message', text: 'hi' };
      return {
        kind: 'error',
        status: 429,
        headers: { 'retry-after-ms': '20' },
        body: { error: { message: `slow down, ${TOKEN}`, code: 'rate_limit_exceeded' } },
      };
    });
    const result = await runToEnd(
      server,
      sandbox,
      ['--debug', 'run', 'flow', '--output', 'plain'],
      {
        cwd: work,
      },
    );
    expect(result.code, result.stderr).toBe(0);
    const id = onlySession(sandbox);
    const modelError = new RegExp(
      `warn session=${id} model error: model fake-model at ${server.url.replace(/[.]/g, '\\.')}: ` +
        'status 429, class rate-limited \\(retryable\\), request id req_fake_\\w+: ',
    );

    const shown = result.stderr.split('\n').filter((line) => LOG_LINE.test(line));
    // Only the line about .env comes before the session exists.
    expect(shown.filter((line) => !line.includes(` session=${id} `))).toEqual([
      expect.stringMatching(/ debug no \.env file in /),
    ]);
    expect(shown.some((line) => modelError.test(line))).toBe(true);

    const file = fs.readFileSync(path.join(sandbox, 'state', 'taskflow', 'taskflow.log'), 'utf8');
    const lines = file.split('\n').filter((line) => line !== '');
    for (const line of lines) expect(line).toMatch(new RegExp(`${LOG_LINE.source}session=${id} `));
    expect(lines.some((line) => modelError.test(line))).toBe(true);
    expect(file).not.toContain(TOKEN);
    expect(result.stderr).not.toContain(TOKEN);
  });
});
