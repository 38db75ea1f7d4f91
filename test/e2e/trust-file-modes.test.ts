import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  startFakeModelServer,
  toolResultsOf,
  type FakeModelServer,
  type FakeReply,
} from '../fakes/fake-model-server.js';
import { CLI, cliEnvironment, makeSandbox, type CliResult } from './cli-harness.js';

/**
 * Issue 10 defect 4: what a run writes about itself (session folder, log, cassette, the
 * bundled servers' state and logs) is private to the user — folders 0700, files 0600 —
 * also under the common umask 022, which leaves group and others read access by default.
 */

const TASKFLOW = `seclab-taskflow-agent:
  version: "1.0"
  filetype: taskflow

taskflow:
  - task:
      name: remember
      agents: [taskflow.personalities.assistant]
      toolboxes: [taskflow.toolboxes.memcache]
      user_prompt: Remember something.
  - task:
      name: large-output
      run: yes x | head -c 70000
`;

let server: FakeModelServer;
let sandbox: string;

beforeEach(async () => {
  server = await startFakeModelServer();
  sandbox = makeSandbox();
  fs.writeFileSync(path.join(sandbox, 'flow.yaml'), TASKFLOW);
});
afterEach(async () => {
  await server.close();
  fs.rmSync(sandbox, { recursive: true, force: true });
});

/** The built CLI started by a shell that sets umask 022 first. */
function runUnderUmask022(args: readonly string[]): Promise<CliResult> {
  const child = spawn('sh', ['-c', 'umask 022 && exec "$0" "$@"', process.execPath, CLI, ...args], {
    cwd: sandbox,
    env: cliEnvironment(sandbox, {
      AI_API_ENDPOINT: server.url,
      AI_API_TOKEN: 'test-token-modes',
      TASKFLOW_DEFAULT_MODEL: 'fake-model',
      LOG_DIR: path.join(sandbox, 'server-logs'),
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** `path mode` for the folder itself and everything below it. */
function modesBelow(root: string): string[] {
  const entries = [root];
  if (fs.statSync(root).isDirectory()) {
    for (const name of fs.readdirSync(root, { recursive: true, encoding: 'utf8' })) {
      entries.push(path.join(root, name));
    }
  }
  return entries.map((entry) => {
    const mode = (fs.lstatSync(entry).mode & 0o777).toString(8).padStart(4, '0');
    return `${path.relative(sandbox, entry)} ${mode}`;
  });
}

function privateModes(lines: string[]): string[] {
  return lines.map((line) => {
    const [entry] = line.split(' ');
    const isDirectory = fs.statSync(path.join(sandbox, entry ?? '')).isDirectory();
    return `${entry} ${isDirectory ? '0700' : '0600'}`;
  });
}

describe('taskflow run under umask 022', () => {
  it('creates session, log, cassette and server state files readable by the user only', async () => {
    server.setHandler((request): FakeReply =>
      toolResultsOf(request).length === 0
        ? {
            kind: 'message',
            toolCalls: [
              {
                name: 'memcache__memcache_set_state',
                arguments: { key: 'colour', value: 'green' },
              },
            ],
          }
        : { kind: 'message', text: 'Remembered.' },
    );
    const cassette = path.join(sandbox, 'run.cassette.jsonl');
    const result = await runUnderUmask022(['run', 'flow.yaml', '--record', cassette]);
    expect(result.code, result.stderr).toBe(0);

    const sessions = modesBelow(path.join(sandbox, 'sessions'));
    // The session folder, its journal, manifest and a large result's side file.
    expect(sessions.some((line) => line.includes('/results/'))).toBe(true);
    const written = [
      ...sessions,
      ...modesBelow(path.join(sandbox, 'state')),
      ...modesBelow(path.join(sandbox, 'memcache')),
      ...modesBelow(path.join(sandbox, 'server-logs')),
      ...modesBelow(cassette),
    ];
    expect(written.some((line) => line.includes('taskflow.log'))).toBe(true);
    expect(written.some((line) => line.includes('mcp_memcache.log'))).toBe(true);
    expect(written).toEqual(privateModes(written));
  }, 60_000);
});
