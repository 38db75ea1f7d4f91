import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { beforeEach } from 'vitest';
import {
  lastUserText,
  messagesOf,
  startFakeModelServer,
  type FakeModelServer,
  type FakeReply,
  type FakeReplyHandler,
  type RecordedRequest,
} from '../fakes/fake-model-server.js';
import { makeSandbox, REPO_ROOT, spawnCli, type CliResult } from './cli-harness.js';

/** Shared by the sessions e2e tests: flows written into the sandbox, crashes, journals. */

export const FLOW_HEADER = (filetype: string): string =>
  `seclab-taskflow-agent:\n  version: "1.0"\n  filetype: ${filetype}\n`;

/** A personality without tools (one model turn per prompt) and one with the bundled memcache. */
const PERSONALITIES: Readonly<Record<string, string>> = {
  plain: `personality: You answer briefly.\ntask: Answer the question.\n`,
  noter: `personality: You keep notes.\ntask: Use your tools as asked, then report.\ntoolboxes:\n  - seclab_taskflow_agent.toolboxes.memcache\n  - seclab_taskflow_agent.toolboxes.logbook\n`,
  prober: `personality: You probe.\ntask: Use your tools as asked, then report.\ntoolboxes:\n  - toolboxes.secret_probe\n`,
  parker: `personality: You take notes.\ntask: Use your tools as asked, then report.\ntoolboxes:\n  - toolboxes.parked\n`,
};

/** MCP server whose tools record their call, then hang while a flag file exists. */
const PARKED_TOOLS = path.join(REPO_ROOT, 'test/fixtures/sessions/parked-tools.mjs');

/**
 * Writes `<sandbox>/work/` with `personalities/` and `toolboxes/` (resolved from the working
 * directory) and returns that folder; the tests write their taskflows into it.
 */
export function writeWorkspace(sandbox: string): string {
  const work = path.join(sandbox, 'work');
  fs.mkdirSync(path.join(work, 'personalities'), { recursive: true });
  fs.mkdirSync(path.join(work, 'toolboxes'), { recursive: true });
  fs.mkdirSync(path.join(work, 'model_configs'), { recursive: true });
  fs.writeFileSync(
    path.join(work, 'model_configs', 'chat.yaml'),
    `${FLOW_HEADER('model_config')}models:\n  main: fake-model\n`,
  );
  fs.writeFileSync(
    path.join(work, 'model_configs', 'responses.yaml'),
    `${FLOW_HEADER('model_config')}api_type: responses\nmodels:\n  main: fake-model\n`,
  );
  for (const [name, body] of Object.entries(PERSONALITIES)) {
    fs.writeFileSync(
      path.join(work, 'personalities', `${name}.yaml`),
      `${FLOW_HEADER('personality')}${body}`,
    );
  }
  // The bundled echo server with a secret in its env and a header-like value; echo_env
  // shows the secret back to the model.
  fs.writeFileSync(
    path.join(work, 'toolboxes', 'secret_probe.yaml'),
    `${FLOW_HEADER('toolbox')}server_params:\n  kind: stdio\n  command: "{{ runner.node }}"\n  args: ["{{ runner.root }}/dist/mcp-servers/echo.js"]\n  env:\n    PROBE_SECRET: "{{ env('SECRET_VALUE') }}"\n    TASKFLOW_ECHO_DIAGNOSTICS: "1"\n`,
  );
  fs.writeFileSync(
    path.join(work, 'toolboxes', 'parked.yaml'),
    `${FLOW_HEADER('toolbox')}server_params:\n  kind: stdio\n  command: "{{ runner.node }}"\n  args: [${JSON.stringify(PARKED_TOOLS)}]\n  env:\n    PARKED_LOG: "{{ env('PARKED_LOG') }}"\n    PARKED_FLAG: "{{ env('PARKED_FLAG') }}"\n`,
  );
  return work;
}

export function writeFlow(work: string, name: string, body: string): string {
  const file = path.join(work, `${name}.yaml`);
  fs.writeFileSync(file, `${FLOW_HEADER('taskflow')}${body}`);
  return file;
}

export interface SessionsWorkspace {
  readonly server: FakeModelServer;
  readonly sandbox: string;
  /** The folder writeWorkspace wrote: the CLI's working directory. */
  readonly work: string;
}

/**
 * The set-up of a sessions e2e file, registered as a `beforeEach` with its teardown: per
 * test a fake model server (answering with `handler` when given), a fresh sandbox holding
 * writeWorkspace's folder (and `flow.yaml` when `flow` is given); afterwards the server is
 * closed and the sandbox removed. `realPath` resolves the sandbox's symlinks, for tests that
 * compare paths the CLI prints. The returned object reads the running test's values and
 * throws outside a test.
 */
export function useSessionsWorkspace(
  options: { handler?: FakeReplyHandler; flow?: string; realPath?: boolean } = {},
): SessionsWorkspace {
  let current: SessionsWorkspace | undefined;
  beforeEach(async () => {
    const server = await startFakeModelServer();
    if (options.handler) server.setHandler(options.handler);
    const sandbox = options.realPath === true ? fs.realpathSync(makeSandbox()) : makeSandbox();
    const work = writeWorkspace(sandbox);
    if (options.flow !== undefined) writeFlow(work, 'flow', options.flow);
    current = { server, sandbox, work };
    return async () => {
      current = undefined;
      await server.close();
      fs.rmSync(sandbox, { recursive: true, force: true });
    };
  });
  const now = (): SessionsWorkspace => {
    if (current === undefined) throw new Error('the sessions workspace exists only in a test');
    return current;
  };
  return {
    get server() {
      return now().server;
    },
    get sandbox() {
      return now().sandbox;
    },
    get work() {
      return now().work;
    },
  };
}

/** Model requests only (chat or responses), in arrival order. */
export function modelRequests(server: FakeModelServer): RecordedRequest[] {
  return server.requests.filter((request) => request.api === 'chat' || request.api === 'responses');
}

/** The `item-N` a request's first user message names, or undefined. */
export function itemOf(request: RecordedRequest): number | undefined {
  const first = messagesOf(request).find((message) => message.role === 'user');
  const text = typeof first?.content === 'string' ? first.content : (lastUserText(request) ?? '');
  const match = /item-(\d+)/.exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

export interface RunningCli {
  readonly child: ChildProcess;
  /** Resolves once the process exited and its output closed. */
  readonly done: Promise<CliResult>;
  stdoutSoFar(): string;
  stderrSoFar(): string;
}

/** Spawns the built CLI against the fake server (token and default model set). */
export function startCli(
  server: FakeModelServer,
  sandbox: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string | undefined> },
): RunningCli {
  const child = spawnCli(args, sandbox, {
    cwd: options.cwd,
    env: {
      AI_API_ENDPOINT: server.url,
      AI_API_TOKEN: 'test-token-sessions',
      TASKFLOW_DEFAULT_MODEL: 'fake-model',
      ...options.env,
    },
  });
  child.stdin?.end();
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done, stdoutSoFar: () => stdout, stderrSoFar: () => stderr };
}

/** Runs the CLI to its end (bounded: a hang fails the test instead of the suite). */
export async function runToEnd(
  server: FakeModelServer,
  sandbox: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string | undefined>; timeoutMs?: number },
): Promise<CliResult> {
  const running = startCli(server, sandbox, args, options);
  const timer = setTimeout(() => running.child.kill('SIGKILL'), options.timeoutMs ?? 40_000);
  try {
    const result = await running.done;
    if (result.signal === 'SIGKILL') {
      throw new Error(`taskflow ${args.join(' ')} hung\n${result.stdout}\n${result.stderr}`);
    }
    return result;
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `condition` every 20 ms; fails after `timeoutMs`. */
export async function waitFor(
  what: string,
  condition: () => boolean,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

/** SIGKILLs a running CLI and waits until it is gone. */
export async function crash(running: RunningCli): Promise<CliResult> {
  running.child.kill('SIGKILL');
  const result = await running.done;
  if (result.signal !== 'SIGKILL') {
    throw new Error(`expected a SIGKILL, got ${JSON.stringify(result)}`);
  }
  return result;
}

/** A deferred the fake server's handler can park a request on. */
export function gate(): { opened: Promise<void>; open(): void; arrived: boolean } {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open: () => open(), arrived: false };
}

export function sessionsRoot(sandbox: string): string {
  return path.join(sandbox, 'sessions');
}

/** The ids of the sessions in the sandbox. */
export function sessionIds(sandbox: string): string[] {
  const root = sessionsRoot(sandbox);
  return fs.existsSync(root)
    ? fs.readdirSync(root).filter((name) => /^[0-9a-f]{12}$/.test(name))
    : [];
}

/** The only session of the sandbox. */
export function onlySession(sandbox: string): string {
  const ids = sessionIds(sandbox);
  if (ids.length !== 1 || ids[0] === undefined) throw new Error(`sessions: ${ids.join(', ')}`);
  return ids[0];
}

export type JournalLine = Record<string, unknown> & { type: string };

/** The complete lines of a session's journal (a torn final line is skipped). */
export function journalOf(sandbox: string, id: string): JournalLine[] {
  const file = path.join(sessionsRoot(sandbox), id, 'journal.jsonl');
  if (!fs.existsSync(file)) return [];
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  lines.pop(); // '' after the last newline, or a torn line
  return lines.map((line) => JSON.parse(line) as JournalLine);
}

export function manifestOf(sandbox: string, id: string): Record<string, unknown> {
  const file = path.join(sessionsRoot(sandbox), id, 'manifest.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/** The last task-end result value per task index: what a run produced. */
export function taskResults(journal: readonly JournalLine[]): Map<number, unknown> {
  const results = new Map<number, unknown>();
  for (const line of journal) {
    if (line.type !== 'task-end') continue;
    const result = line.result as { value?: unknown } | undefined;
    results.set(line.task as number, { status: line.status, value: result?.value });
  }
  return results;
}

/** Shell list of `count` items -> one model turn per item -> a summary of all answers. */
export const itemsFlow = (
  count: number,
  options: { async?: boolean; mustComplete?: boolean } = {},
): string => `
taskflow:
  - task:
      name: list items
      run: |
        printf '['; seq -s, 0 ${count - 1} | tr -d '\\n'; printf ']'
  - task:
      name: answer each
      id: answers
      must_complete: ${options.mustComplete ?? false}
      agents: [personalities.plain]
      repeat_prompt: true
      async: ${options.async ?? false}
      async_limit: 4
      user_prompt: "Answer item-{{ result }}"
  - task:
      name: summarize
      agents: [personalities.plain]
      user_prompt: "Summarize {{ outputs.answers | tojson }}"
`;

/** The summary request of an items flow (its prompt quotes the answers, not the items). */
export const isSummary = (request: RecordedRequest): boolean =>
  lastUserText(request)?.startsWith('Summarize') === true;

/** Deterministic model for an items flow: `answer-N` per item, then a summary quoting the prompt. */
export function answerItems(request: RecordedRequest): FakeReply {
  if (isSummary(request)) return { kind: 'message', text: `summary of ${lastUserText(request)}` };
  return { kind: 'message', text: `answer-${itemOf(request) ?? 'unknown'}` };
}

/**
 * Runs `flow.yaml` (an items flow) with every item from `doneBefore` on parked, waits until
 * `inFlight` of them reached the server and `doneBefore` item-end records are in the
 * journal, then SIGKILLs the CLI. Returns the session id, the killed run's output and pid.
 */
export async function crashAfterItems(
  server: FakeModelServer,
  sandbox: string,
  work: string,
  options: { doneBefore: number; inFlight?: number; args?: readonly string[] },
): Promise<{ id: string; killed: CliResult; pid: number | undefined }> {
  const parked = new Set<number>();
  server.setHandler((request) => {
    const item = itemOf(request);
    if (!isSummary(request) && item !== undefined && item >= options.doneBefore) {
      parked.add(item);
      return { kind: 'stall' };
    }
    return answerItems(request);
  });
  const running = startCli(
    server,
    sandbox,
    ['run', 'flow.yaml', '--output', 'plain', ...(options.args ?? [])],
    { cwd: work },
  );
  await waitFor('the parked requests', () => parked.size === (options.inFlight ?? 1));
  const id = onlySession(sandbox);
  const itemEnds = () => journalOf(sandbox, id).filter((line) => line.type === 'item-end');
  await waitFor('the item-end records', () => itemEnds().length === options.doneBefore);
  const killed = await crash(running);
  server.setHandler(answerItems);
  return { id, killed, pid: running.child.pid };
}
