import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  lastUserText,
  startFakeModelServer,
  toolResultsOf,
  type FakeModelServer,
  type FakeReply,
  type RecordedRequest,
} from '../fakes/fake-model-server.js';
import { PREVIEW_CHARS } from '../../src/text-preview.js';
import { CLI, cliEnvironment, makeSandbox, runCli, type CliResult } from './cli-harness.js';
import { sessionIds, sessionsRoot, writeFlow, writeWorkspace } from './sessions-kit.js';

/**
 * Issue 10 defect 2: the API token and an env() secret never reach any sink — session
 * files, stdout and stderr in every output mode (tty on a real pseudo-terminal), the log,
 * the cassette (`--record`) and the step summary — although a shell task prints them, a
 * tool and the model echo them (split across stream deltas), a 400 and a 401 body echo
 * them, and `--debug` is on.
 */

// Neither value has a prefix the error classifier already masks (sk-, ghp_, Bearer).
const TOKEN = 'tok4Tfl0wQz8Lm2Xw9Kd7Rp3';
const SECRET = 'prb7Hd2Kq9Lm3Xw5Vt8Nz1';
/** A secret cut in half (a preview, a bounded message) is a leak too. */
const FRAGMENTS: Readonly<Record<string, string>> = {
  token: TOKEN,
  secret: SECRET,
  'token head': TOKEN.slice(0, 12),
  'token tail': TOKEN.slice(-12),
  'secret head': SECRET.slice(0, 12),
  'secret tail': SECRET.slice(-12),
};

const LEAKY_FLOW = `
taskflow:
  - task:
      name: shell prints them
      run: echo "token=$AI_API_TOKEN secret=$SECRET_VALUE"
  - task:
      name: tool and model echo them
      agents: [personalities.prober]
      user_prompt: "Probe PROBE_SECRET with echo_env."
  - task:
      name: bad request echoes them
      agents: [personalities.plain]
      user_prompt: "Cause the 400."
`;

const AUTH_FLOW = `
taskflow:
  - task:
      name: unauthorized echoes them
      agents: [personalities.plain]
      user_prompt: "Cause the 401."
`;

const echoingBody = (what: string) => ({
  error: {
    message: `${what}: key ${TOKEN} is not valid for ${SECRET}`,
    type: 'invalid_request_error',
    code: null,
  },
});

/**
 * The model: probes the secret, has it echoed where a preview cuts it, then repeats it and
 * the token in 9 deltas; 400 and 401 on cue.
 */
function model(request: RecordedRequest): FakeReply {
  const prompt = lastUserText(request) ?? '';
  if (prompt.includes('400')) return { kind: 'error', status: 400, body: echoingBody('bad') };
  if (prompt.includes('401')) return { kind: 'error', status: 401, body: echoingBody('denied') };
  const results = toolResultsOf(request);
  if (results.length === 0) {
    return {
      kind: 'message',
      toolCalls: [{ name: 'secret_probe__echo_env', arguments: { name: 'PROBE_SECRET' } }],
    };
  }
  const secret = results[0]?.output ?? '?';
  if (results.length === 1) {
    // The result preview of events (200 characters) cuts the echoed secret in two.
    const message = `${'.'.repeat(PREVIEW_CHARS - 15)}${secret}`;
    return { kind: 'message', toolCalls: [{ name: 'secret_probe__echo', arguments: { message } }] };
  }
  return {
    kind: 'message',
    text: `The server said ${secret} and my key is ${TOKEN}.`,
    // Deltas of similar size: both values are cut across deltas.
    deltas: 9,
  };
}

type Mode = 'plain' | 'jsonl' | 'tty';
const MODES: readonly Mode[] = ['plain', 'jsonl', 'tty'];
const FLOWS = { leaky: LEAKY_FLOW, auth: AUTH_FLOW } as const;
type FlowName = keyof typeof FLOWS;

interface Sinks {
  /** Sink name -> its text. */
  readonly texts: Map<string, string>;
  readonly results: Map<string, CliResult>;
}

let server: FakeModelServer;
let sandbox: string;
let work: string;
const sinks: Sinks = { texts: new Map(), results: new Map() };

function filesUnder(folder: string): string[] {
  if (!fs.existsSync(folder)) return [];
  return fs
    .readdirSync(folder, { recursive: true, withFileTypes: true })
    .flatMap((entry) => (entry.isFile() ? [path.join(entry.parentPath, entry.name)] : []));
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The CLI on a pseudo-terminal (util-linux `script` merges stdout and stderr). */
function runUnderPty(args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  const command = `stty cols 120 rows 40 && exec ${[process.execPath, CLI, ...args].map(shellQuote).join(' ')}`;
  const child = spawn('/usr/bin/script', ['-qfec', command, '/dev/null'], {
    cwd: work,
    env: cliEnvironment(sandbox, { ...env, NO_COLOR: undefined, CI: undefined }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the CLI under a pty did not finish:\n${stdout}`));
    }, 40_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

async function runFlow(flow: FlowName, mode: Mode): Promise<void> {
  const run = `${flow}-${mode}`;
  const stepSummary = path.join(sandbox, `summary-${run}.md`);
  const cassette = path.join(sandbox, `cassette-${run}.jsonl`);
  const env = {
    AI_API_ENDPOINT: server.url,
    AI_API_TOKEN: TOKEN,
    TASKFLOW_DEFAULT_MODEL: 'fake-model',
    SECRET_VALUE: SECRET,
    GITHUB_STEP_SUMMARY: stepSummary,
  };
  const before = new Set(sessionIds(sandbox));
  const args = ['run', `${flow}.yaml`, '--output', mode, '--debug', '--record', cassette];
  const result =
    mode === 'tty'
      ? await runUnderPty(args, env)
      : await runCli(args, sandbox, { cwd: work, env, timeoutMs: 40_000 });
  sinks.results.set(run, result);
  sinks.texts.set(`${run} stdout`, result.stdout);
  sinks.texts.set(`${run} stderr`, result.stderr);
  sinks.texts.set(`${run} step summary`, readIfThere(stepSummary));
  sinks.texts.set(`${run} cassette`, readIfThere(cassette));
  const [id] = sessionIds(sandbox).filter((candidate) => !before.has(candidate));
  if (id === undefined) throw new Error(`${run}: no session was created\n${result.stderr}`);
  for (const file of filesUnder(path.join(sessionsRoot(sandbox), id))) {
    sinks.texts.set(`${run} session ${path.basename(file)}`, fs.readFileSync(file, 'utf8'));
  }
}

function readIfThere(file: string): string {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}

function count(text: string, value: string): number {
  return text.split(value).length - 1;
}

beforeAll(async () => {
  server = await startFakeModelServer();
  server.setHandler(model);
  sandbox = makeSandbox();
  work = writeWorkspace(sandbox);
  for (const [name, body] of Object.entries(FLOWS)) writeFlow(work, name, body);
  for (const mode of MODES) {
    for (const flow of Object.keys(FLOWS) as FlowName[]) await runFlow(flow, mode);
  }
  // The log is shared by all runs.
  for (const file of filesUnder(path.join(sandbox, 'state', 'taskflow'))) {
    sinks.texts.set(`log ${path.basename(file)}`, fs.readFileSync(file, 'utf8'));
  }
}, 240_000);

afterAll(async () => {
  await server.close();
  fs.rmSync(sandbox, { recursive: true, force: true });
});

describe('the token and env() secrets in every sink', () => {
  it('ran the probes: the values really went out and came back', () => {
    for (const mode of MODES) {
      expect(sinks.results.get(`leaky-${mode}`)?.code, mode).toBe(1);
      expect(sinks.results.get(`auth-${mode}`)?.code, mode).toBe(78);
      expect(sinks.texts.get(`leaky-${mode} step summary`), mode).toContain('failed');
      expect(sinks.texts.get(`leaky-${mode} cassette`), mode).toContain('[redacted]');
    }
    const echoed = server.requests.filter((request) => {
      const [probed, cut] = toolResultsOf(request);
      return probed?.output === SECRET && cut?.output.endsWith(`.${SECRET}`) === true;
    });
    expect(echoed).toHaveLength(MODES.length);
    expect(sinks.texts.get('leaky-jsonl stdout')).toContain('.[redacted]…"');
    expect(server.requests.every((request) => request.headers.authorization === `Bearer ${TOKEN}`));
    expect(sinks.texts.get('log taskflow.log')).toContain('[secret_probe] started');
    const journal = sinks.texts.get('leaky-plain session journal.jsonl') ?? '';
    expect(journal).toContain('token=[redacted] secret=[redacted]');
    expect(sinks.texts.get('leaky-jsonl stdout')).toContain('[redacted]');
    expect(sinks.texts.get('leaky-tty stdout')).toContain('my key is [redacted].');
  });

  it('finds neither value, whole or cut, in any sink', () => {
    const hits: Record<string, number> = {};
    for (const [sink, text] of sinks.texts) {
      for (const [what, value] of Object.entries(FRAGMENTS)) {
        const found = count(text, value);
        if (found > 0) hits[`${sink}: ${what}`] = found;
      }
    }
    expect(sinks.texts.size).toBeGreaterThan(30);
    expect(hits).toEqual({});
  });
});
