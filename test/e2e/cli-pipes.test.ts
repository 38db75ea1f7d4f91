import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/fake-model-server.js';
import { CLI, cliEnvironment, makeSandbox } from './cli-harness.js';
import {
  answerItems,
  FLOW_HEADER,
  itemsFlow,
  manifestOf,
  sessionIds,
  sessionsRoot,
  writeFlow,
  writeWorkspace,
} from './sessions-kit.js';

/**
 * Issue 11 point 4: `taskflow … | head -1` through a real pipe (`sh -c`). A closed stdout
 * never shows a stack trace or "internal error": output-only commands end with their own
 * exit code (0); a run stops as on Ctrl-C, resumable, and exits 141 (128 + SIGPIPE).
 */

const REPETITIONS = 20;
/** Twenty CLI starts each: well above one test's default 30 s on a busy machine. */
const SLOW = { timeout: 180_000 };

let server: FakeModelServer;
let sandbox: string;
let work: string;

beforeAll(async () => {
  server = await startFakeModelServer();
  server.setHandler(answerItems);
  sandbox = makeSandbox();
  work = writeWorkspace(sandbox);
  writeFlow(work, 'fanout', itemsFlow(400, { async: true }));
  // Output larger than a pipe's buffer (64 KiB), so the writer always meets the closed end.
  const prompts = path.join(work, 'prompts');
  fs.mkdirSync(prompts, { recursive: true });
  for (let index = 0; index < 250; index++) {
    const name = `prompt_${String(index).padStart(4, '0')}_${'x'.repeat(160)}`;
    fs.writeFileSync(path.join(prompts, `${name}.yaml`), `${FLOW_HEADER('prompt')}prompt: hi\n`);
  }
  writeManySessions(300);
});
afterAll(async () => {
  await server.close();
  fs.rmSync(sandbox, { recursive: true, force: true });
});

/** `count` finished sessions (manifest only) with long taskflow names: > 64 KiB listed. */
function writeManySessions(count: number): void {
  const at = new Date().toISOString();
  for (let index = 0; index < count; index++) {
    const id = `f${index.toString(16).padStart(11, '0')}`;
    const dir = path.join(sessionsRoot(sandbox), id);
    fs.mkdirSync(dir, { recursive: true });
    const manifest = {
      schemaVersion: 1,
      id,
      status: 'succeeded',
      createdAt: at,
      updatedAt: at,
      taskflow: { reference: `flows.${'long_name_'.repeat(20)}${index}`, path: '/flows/x.yaml' },
      globals: {},
      fingerprint: { algorithm: 'sha256', files: {}, digest: '0' },
      runner: { version: '0.0.0' },
      tasks: [],
      usage: { inputTokens: 0, outputTokens: 0 },
      outputs: {},
    };
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  }
}

interface PipeResult {
  /** What `head -1` printed. */
  readonly firstLine: string;
  /** taskflow's own exit status (the pipeline's is head's). */
  readonly taskflowExit: number;
  /** taskflow's stderr, the exit marker removed. */
  readonly stderr: string;
}

const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;

/** `sh -c '{ taskflow ARGS; echo exit=$? >&2; } | head -1'` in the workspace. */
function throughHead(args: readonly string[], reader = 'head -1'): Promise<PipeResult> {
  const command = [process.execPath, CLI, ...args].map(quote).join(' ');
  const script = `{ ${command}; echo "taskflow-exit=$?" >&2; } | ${reader}`;
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script], {
      cwd: work,
      env: cliEnvironment(sandbox, {
        AI_API_ENDPOINT: server.url,
        AI_API_TOKEN: 'test-token-pipes',
        TASKFLOW_DEFAULT_MODEL: 'fake-model',
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      const match = /taskflow-exit=(\d+)\n?/.exec(stderr);
      if (!match) return reject(new Error(`no exit status: ${stderr}`));
      resolve({
        firstLine: stdout.split('\n')[0] ?? '',
        taskflowExit: Number(match[1]),
        stderr: stderr.replace(match[0], ''),
      });
    });
  });
}

function expectQuiet(result: PipeResult): void {
  expect(result.stderr).not.toMatch(/internal error|EPIPE|stack trace|\n\s+at \S|Error:/);
}

async function repeat(
  args: readonly string[],
  check: (result: PipeResult) => void,
  reader?: string,
): Promise<void> {
  for (let round = 0; round < REPETITIONS; round++) check(await throughHead(args, reader));
}

describe('output-only commands piped into head -1', () => {
  it('--help', SLOW, async () => {
    await repeat(['--help'], (result) => {
      expectQuiet(result);
      expect(result.stderr).toBe('');
      expect(result.firstLine).toBe('Usage: taskflow [options] [command]');
      expect(result.taskflowExit).toBe(0);
    });
  });

  it('--help into a reader that reads nothing', SLOW, async () => {
    await repeat(
      ['--help'],
      (result) => {
        expect(result.stderr).toBe('');
        expect(result.taskflowExit).toBe(0);
      },
      'true',
    );
  });

  it('list', SLOW, async () => {
    await repeat(['list'], (result) => {
      expectQuiet(result);
      expect(result.stderr).toBe('');
      expect(result.firstLine).toBe('taskflows');
      expect(result.taskflowExit).toBe(0);
    });
  });

  it('sessions list', SLOW, async () => {
    await repeat(['sessions', 'list'], (result) => {
      expectQuiet(result);
      expect(result.stderr).toBe('');
      expect(result.firstLine).toMatch(/^ID\s+STATUS\s+TASKS/);
      expect(result.taskflowExit).toBe(0);
    });
  });
});

describe('a run piped into head -1', () => {
  it('stops like an interrupt: resumable, exit 141, no stack trace', SLOW, async () => {
    const before = new Set(sessionIds(sandbox));
    await repeat(['run', 'fanout.yaml', '--output', 'jsonl'], (result) => {
      expectQuiet(result);
      expect(JSON.parse(result.firstLine)).toMatchObject({ type: 'taskflow-start' });
      expect(result.stderr).toContain('taskflow: stdout was closed (broken pipe); stopping');
      expect(result.stderr).toMatch(/Resume with: taskflow resume [0-9a-f]{12}/);
      expect(result.taskflowExit).toBe(141);
    });
    const runs = sessionIds(sandbox).filter((id) => !before.has(id));
    expect(runs).toHaveLength(REPETITIONS);
    for (const id of runs) expect(manifestOf(sandbox, id)).toMatchObject({ status: 'interrupted' });
  });
});
