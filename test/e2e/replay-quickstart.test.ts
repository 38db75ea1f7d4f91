import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeSandbox, REPO_ROOT, runCli } from './cli-harness.js';

/**
 * The README's offline quickstart: the shipped cassette answers the echo example with no
 * network and no token. If this fails after a change to the example, the bundled
 * personality or the system prompt, re-record with `node scripts/record-echo-cassette.mjs`.
 */
describe('offline quickstart with --replay', () => {
  const cassette = path.join(REPO_ROOT, 'examples/cassettes/echo.jsonl');
  let sandbox: string;
  afterEach(() => fs.rmSync(sandbox, { recursive: true, force: true }));

  it('runs taskflow.taskflows.echo from the shipped cassette without network or token', async () => {
    sandbox = makeSandbox();
    const result = await runCli(
      ['run', 'taskflow.taskflows.echo', '--replay', cassette, '--output', 'plain'],
      sandbox,
      {
        cwd: sandbox,
        // An endpoint that would refuse every connection: the run must not need it.
        env: { AI_API_ENDPOINT: 'http://127.0.0.1:9/v1', AI_API_TOKEN: undefined },
      },
    );
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('tool echo.echo_tool ok');
    expect(result.stdout).toContain('The echo tool returned: "Tool echo: hello from taskflow".');
  });

  it('refuses a request the cassette does not hold, naming the cassette (exit 78)', async () => {
    sandbox = makeSandbox();
    const partial = path.join(sandbox, 'first-turn-only.jsonl');
    fs.writeFileSync(partial, `${fs.readFileSync(cassette, 'utf8').split('\n')[0]}\n`);
    const result = await runCli(
      ['run', 'taskflow.taskflows.echo', '--replay', partial, '--output', 'plain'],
      sandbox,
      { cwd: sandbox },
    );
    expect(result.code).toBe(78);
    expect(result.stderr).toContain('first-turn-only.jsonl has no recorded answer');
  });
});
