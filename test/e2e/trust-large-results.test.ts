import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  startFakeModelServer,
  toolResultsOf,
  type FakeModelServer,
  type FakeReply,
} from '../fakes/fake-model-server.js';
import { freePort } from '../toolbox/toolbox-fixtures.js';
import { makeSandbox, REPO_ROOT } from './cli-harness.js';
import { contractEvents, ofType, runTaskflow } from './run-kit.js';

/**
 * Issue 10 defect 11: a tool result larger than the runner accepts (10 MiB) is the tool's
 * answer "result too large", not a server crash: the same server process answers the next
 * call and no restart is spent or announced. The same bound holds over streamable HTTP,
 * for answers sent as an SSE stream and as a JSON body.
 */

const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/mcp/big-result.mjs');
/** The toolbox over stdio, or over streamable HTTP on `port` (SSE answers, or JSON ones). */
function toolbox(transport: 'stdio' | 'streamable-sse' | 'streamable-json', port: number): string {
  const header =
    'seclab-taskflow-agent:\n  version: "1.0"\n  filetype: toolbox\n\nserver_params:\n';
  if (transport === 'stdio') {
    return `${header}  kind: stdio\n  command: "{{ runner.node }}"\n  args: ["${FIXTURE}"]\n`;
  }
  const json = transport === 'streamable-json' ? ', "--json"' : '';
  return (
    `${header}  kind: streamable\n  command: "{{ runner.node }}"\n` +
    `  args: ["${FIXTURE}", "--port", "${port}"${json}]\n` +
    `  url: "http://127.0.0.1:${port}/mcp"\n`
  );
}
const TASKFLOW = `seclab-taskflow-agent:
  version: "1.0"
  filetype: taskflow

taskflow:
  - task:
      name: ask-for-too-much
      agents: [taskflow.personalities.assistant]
      toolboxes: [toolboxes.big]
      user_prompt: Fetch the big result.
`;

let server: FakeModelServer;
let sandbox: string;
let project: string;

beforeEach(async () => {
  server = await startFakeModelServer();
  sandbox = makeSandbox();
  project = path.join(sandbox, 'project');
  fs.mkdirSync(path.join(project, 'toolboxes'), { recursive: true });
  fs.writeFileSync(path.join(project, 'flow.yaml'), TASKFLOW);
});
afterEach(async () => {
  await server.close();
  fs.rmSync(sandbox, { recursive: true, force: true });
});

describe('taskflow run: a tool result over the size limit', () => {
  it.each(['stdio', 'streamable-sse', 'streamable-json'] as const)(
    '%s: tells the model "result too large" and keeps the server for the next call',
    async (transport) => {
      fs.writeFileSync(
        path.join(project, 'toolboxes', 'big.yaml'),
        toolbox(transport, await freePort()),
      );
      const calls = [
        { name: 'big__pid', arguments: {} },
        { name: 'big__big', arguments: { megabytes: 12 } },
        { name: 'big__pid', arguments: {} },
      ];
      server.setHandler((request): FakeReply => {
        const next = calls[toolResultsOf(request).length];
        return next ? { kind: 'message', toolCalls: [next] } : { kind: 'message', text: 'Done.' };
      });
      const result = await runTaskflow(server, sandbox, ['flow.yaml', '--output', 'jsonl'], {
        cwd: project,
        timeoutMs: 60_000,
      });
      expect(result.code, result.stderr).toBe(0);
      const events = contractEvents(result.stdout);
      expect(ofType(events, 'warning')).toEqual([]);
      expect(ofType(events, 'tool-call-end').map((event) => event.status)).toEqual([
        'ok',
        'error',
        'ok',
      ]);
      const told = toolResultsOf(server.requests.at(-1)!).map((toolResult) => toolResult.output);
      expect(told).toHaveLength(3);
      expect(told[1]).toMatch(/^result too large \(12\.0 MB, limit 10 MB\)/);
      expect(told[1]!.length).toBeLessThan(1000);
      // The same process answered before and after the oversized result.
      expect(told[0]).toMatch(/^pid \d+$/);
      expect(told[2]).toBe(told[0]);
      expect(result.stderr).not.toMatch(/restart/i);
    },
    90_000,
  );
});
