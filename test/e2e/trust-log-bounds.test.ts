import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  startFakeModelServer,
  toolResultsOf,
  type FakeModelServer,
  type FakeReply,
} from '../fakes/fake-model-server.js';
import { makeSandbox, REPO_ROOT } from './cli-harness.js';
import { runTaskflow } from './run-kit.js';

/**
 * Issue 10 defect 3: a stdio server flooding stderr must not grow the runner's log without
 * bound. The log lives in $XDG_STATE_HOME/taskflow (the harness points it into the
 * sandbox); at most 3 files of 5 MiB. Each server process has 1 MiB of stderr logged, and a
 * marker counts the lines and bytes that were not.
 */

const LOG_CAP_BYTES = 3 * 5 * 1024 * 1024;
const FLOOD_MEGABYTES = 40;
const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/mcp/stderr-flood.mjs');
const TOOLBOX = `seclab-taskflow-agent:
  version: "1.0"
  filetype: toolbox

server_params:
  kind: stdio
  command: "{{ runner.node }}"
  args: ["${FIXTURE}"]
`;
const TASKFLOW = `seclab-taskflow-agent:
  version: "1.0"
  filetype: taskflow

taskflow:
  - task:
      name: flood
      agents: [taskflow.personalities.assistant]
      toolboxes: [toolboxes.flood]
      user_prompt: Flood.
`;

let server: FakeModelServer;
let sandbox: string;
let project: string;

beforeEach(async () => {
  server = await startFakeModelServer();
  sandbox = makeSandbox();
  project = path.join(sandbox, 'project');
  fs.mkdirSync(path.join(project, 'toolboxes'), { recursive: true });
  fs.writeFileSync(path.join(project, 'toolboxes', 'flood.yaml'), TOOLBOX);
  fs.writeFileSync(path.join(project, 'flow.yaml'), TASKFLOW);
});
afterEach(async () => {
  await server.close();
  fs.rmSync(sandbox, { recursive: true, force: true });
});

describe('taskflow run: a server flooding stderr', () => {
  it('keeps the log within its cap and says what it dropped', async () => {
    server.setHandler((request): FakeReply =>
      toolResultsOf(request).length === 0
        ? {
            kind: 'message',
            toolCalls: [{ name: 'flood__flood', arguments: { megabytes: FLOOD_MEGABYTES } }],
          }
        : { kind: 'message', text: 'Flooded.' },
    );
    const result = await runTaskflow(server, sandbox, ['flow.yaml', '--output', 'jsonl'], {
      cwd: project,
      timeoutMs: 90_000,
    });
    expect(result.code, result.stderr).toBe(0);
    const logDirectory = path.join(sandbox, 'state', 'taskflow');
    const files = fs.readdirSync(logDirectory);
    const sizes = files.map((name) => fs.statSync(path.join(logDirectory, name)).size);
    const total = sizes.reduce((sum, size) => sum + size, 0);
    expect(total).toBeLessThanOrEqual(LOG_CAP_BYTES);
    // 1 MiB of the server's stderr, plus timestamps and the runner's own lines.
    expect(total).toBeLessThan(2 * 1024 * 1024);
    const log = files
      .map((name) => fs.readFileSync(path.join(logDirectory, name), 'utf8'))
      .join('');
    const capped = /\[flood\] stderr passed 1 MB; later lines are counted, not logged/.test(log);
    expect(capped, 'marker when the stderr cap is reached').toBe(true);
    const dropped = /\[flood\] (\d+) stderr lines \((\d+) bytes\) were not logged/.exec(log);
    expect(dropped?.[0], 'marker counting what was not logged').toBeDefined();
    // Most of the flood was counted rather than written (the last pipe-full may be lost at close).
    expect(Number(dropped?.[2])).toBeGreaterThan((FLOOD_MEGABYTES - 2) * 1024 * 1024);
    expect(Number(dropped?.[1])).toBeGreaterThan((FLOOD_MEGABYTES - 2) * 1024);
  }, 120_000);
});
