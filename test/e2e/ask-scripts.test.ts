import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  lastUserText,
  startFakeModelServer,
  toolResultsOf,
  type FakeModelServer,
} from '../fakes/fake-model-server.js';
import { CLI, cliEnvironment, E2E_FIXTURES, makeSandbox, runCli, spawnCli } from './cli-harness.js';

/**
 * Issue 11 point 6: `taskflow ask` in scripts. Built CLI, fake model over HTTP, the bundled
 * echo server over stdio: stdout carries only the answer, the prompt can come from stdin,
 * and words after `--` are prompt words, never options.
 */

const ECHOER = 'personalities/echoer.yaml';
const ASSISTANT = 'seclab_taskflow_agent.personalities.assistant';
const ANSWER = 'The tool said: Tool echo: hello from the model';

let server: FakeModelServer;
let sandbox: string;

beforeEach(async () => {
  server = await startFakeModelServer();
  sandbox = makeSandbox();
});
afterEach(async () => {
  await server.close();
  fs.rmSync(sandbox, { recursive: true, force: true });
});

function modelEnvironment(): Record<string, string> {
  return { AI_API_ENDPOINT: server.url, AI_API_TOKEN: 'test-token-ask-scripts' };
}

/** Turn 1: some text and a call of the echo tool; turn 2: the answer built from its result. */
function scriptEchoConversation(): void {
  server.setHandler((request) => {
    const results = toolResultsOf(request);
    if (results.length === 0) {
      return {
        kind: 'message',
        text: 'Let me call the tool first.',
        toolCalls: [{ name: 'echo__echo_tool', arguments: { message: 'hello from the model' } }],
      };
    }
    return { kind: 'message', text: `The tool said: ${results[0]?.output ?? '?'}` };
  });
}

/** Answers every request with the prompt it received. */
function scriptPromptEcho(): void {
  server.setHandler((request) => ({
    kind: 'message',
    text: `prompt was: ${lastUserText(request) ?? '<none>'}`,
  }));
}

describe('taskflow ask: stdout carries only the answer text', () => {
  it.each([
    ['the default output (not a terminal)', []],
    ['--output plain', ['--output', 'plain']],
    ['--output tty', ['--output', 'tty']],
  ])('%s: progress goes to stderr', async (_label, extra) => {
    scriptEchoConversation();
    const result = await runCli(['ask', ECHOER, 'please', 'echo', 'something', ...extra], sandbox, {
      env: { ...modelEnvironment(), CI: undefined },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`${ANSWER}\n`);
    // The tool call was reported, on stderr.
    expect(result.stderr).toContain('echo_tool');
    expect(server.requests).toHaveLength(2);
  });

  it('retry notices (with their timestamps) stay off stdout', async () => {
    server.enqueue({
      kind: 'error',
      status: 503,
      headers: { 'retry-after-ms': '1' },
      body: { error: { message: 'busy' } },
    });
    scriptPromptEcho();
    const result = await runCli(['ask', ASSISTANT, 'hello'], sandbox, {
      env: modelEnvironment(),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('prompt was: hello\n');
    expect(result.stderr).toMatch(/retrying/);
    expect(server.requests).toHaveLength(2);
  });
});

describe('taskflow ask: the prompt from stdin', () => {
  it('"-" reads the prompt from stdin', async () => {
    scriptPromptEcho();
    const result = await runCli(['ask', ASSISTANT, '-'], sandbox, {
      env: modelEnvironment(),
      input: 'What is 2 + 2?\nAnswer briefly.\n',
    });
    expect(result.code, result.stderr).toBe(0);
    expect(lastUserText(server.requests[0]!)).toBe('What is 2 + 2?\nAnswer briefly.');
    expect(result.stdout).toBe('prompt was: What is 2 + 2?\nAnswer briefly.\n');
  });

  it('no prompt words read the prompt from stdin when stdin is not a terminal', async () => {
    scriptPromptEcho();
    const result = await runCli(['ask', ASSISTANT], sandbox, {
      env: modelEnvironment(),
      input: 'summarise this\n',
    });
    expect(result.code, result.stderr).toBe(0);
    expect(lastUserText(server.requests[0]!)).toBe('summarise this');
    expect(result.stdout).toBe('prompt was: summarise this\n');
  });

  it('a stdin that stays open and quiet gets a notice on stderr; the prompt typed later is used', async () => {
    scriptPromptEcho();
    const child = spawnCli(['ask', ASSISTANT], sandbox, { env: modelEnvironment() });
    let stderr = '';
    let stdout = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const noticed = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no notice on stderr: ${stderr}`)), 30_000);
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        if (!stderr.includes('waiting for the prompt on stdin')) return;
        clearTimeout(timer);
        resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    try {
      await noticed;
      expect(server.requests).toHaveLength(0);
      child.stdin?.end('typed at last\n');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
    expect(stderr).toMatch(
      /^taskflow ask: waiting for the prompt on stdin \(no prompt words were given\); end it with Ctrl-D, or give the prompt as words after the personality$/m,
    );
    expect(stdout).toBe('prompt was: typed at last\n');
  });

  it('"-" with nothing on stdin is a usage error; nothing is sent', async () => {
    scriptPromptEcho();
    const result = await runCli(['ask', ASSISTANT, '-'], sandbox, {
      env: modelEnvironment(),
      input: '',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^taskflow: .*stdin/m);
    expect(result.stdout).toBe('');
    expect(server.requests).toHaveLength(0);
  });

  it('no prompt with stdin on a terminal is a usage error; nothing is sent', async () => {
    scriptPromptEcho();
    const result = await runInTerminal(['ask', ASSISTANT], modelEnvironment());
    expect(result.code, result.output).toBe(2);
    expect(result.output).toMatch(/taskflow: .*prompt/);
    expect(server.requests).toHaveLength(0);
  });
});

describe('taskflow ask: words after "--" are prompt words', () => {
  it('"--version" after "--" is part of the prompt', async () => {
    scriptPromptEcho();
    const result = await runCli(['ask', ASSISTANT, '--', '--version', 'is', 'what?'], sandbox, {
      env: modelEnvironment(),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(lastUserText(server.requests[0]!)).toBe('--version is what?');
    expect(result.stdout).toBe('prompt was: --version is what?\n');
  });

  it('option-like words after "--" (-d, -g, --model, -p) change nothing', async () => {
    scriptPromptEcho();
    const words = ['-d', '-g', 'x=y', '--model', 'nope', '-p', 'other', '--output', 'jsonl'];
    const result = await runCli(['ask', ASSISTANT, '--', ...words], sandbox, {
      env: modelEnvironment(),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(lastUserText(server.requests[0]!)).toBe(words.join(' '));
    expect(server.requests[0]!.body.model).not.toBe('nope');
    expect(result.stdout).toBe(`prompt was: ${words.join(' ')}\n`);
    // -d after "--" did not turn debug logging on.
    expect(result.stderr).not.toMatch(/debug/i);
  });

  it('"--" before the personality makes "--version" the personality, not an option', async () => {
    const result = await runCli(['ask', '--', '--version', 'is', 'what?'], sandbox, {
      env: modelEnvironment(),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown personality "--version"');
    expect(result.stdout).toBe('');
    expect(server.requests).toHaveLength(0);
  });
});

/** Run the built CLI with stdin, stdout and stderr on a pseudo-terminal (util-linux `script`). */
function runInTerminal(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const command = ['exec', process.execPath, CLI, ...args].map(shellQuote).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      cwd: E2E_FIXTURES,
      env: cliEnvironment(sandbox, env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`taskflow ${args.join(' ')} on a terminal did not finish\n${output}`));
    }, 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** One word for `sh -c`. */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}
