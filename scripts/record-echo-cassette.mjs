#!/usr/bin/env node
// Re-records the shipped cassettes: examples/cassettes/echo.jsonl, the cassette of the
// README's offline quickstart (`taskflow run taskflow.taskflows.echo --replay
// examples/cassettes/echo.jsonl`), and examples/starter/cassettes/hello.jsonl, the one
// `taskflow init` copies with the starter project.
// A scripted OpenAI-compatible server on 127.0.0.1 plays the model: it calls the first tool
// with the quoted message of the prompt, then reports what the tool returned. The real echo
// MCP server runs. Run after `npm run build` whenever those taskflows, their personalities
// or the system prompt change.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const recordings = [
  { cassette: 'examples/cassettes/echo.jsonl', cwd: '.', taskflow: 'taskflow.taskflows.echo' },
  {
    cassette: 'examples/starter/cassettes/hello.jsonl',
    cwd: 'examples/starter',
    taskflow: 'taskflows.hello',
  },
];

function reply(body) {
  const messages = body.messages ?? [];
  const toolResult = messages.findLast((message) => message.role === 'tool');
  if (!toolResult) {
    const prompt = messages.find((message) => message.role === 'user')?.content ?? '';
    return {
      content: null,
      tool_calls: [
        {
          index: 0,
          id: 'call_demo_1',
          type: 'function',
          function: {
            name: body.tools[0].function.name,
            arguments: JSON.stringify({ message: /"([^"]+)"/.exec(prompt)?.[1] ?? prompt }),
          },
        },
      ],
      finish: 'tool_calls',
    };
  }
  return { content: `The echo tool returned: "${toolResult.content}".`, finish: 'stop' };
}

const server = http.createServer((request, response) => {
  let text = '';
  request.on('data', (chunk) => (text += chunk));
  request.on('end', () => {
    const body = JSON.parse(text);
    const { content, tool_calls, finish } = reply(body);
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunk = (delta, finishReason) =>
      response.write(
        `data: ${JSON.stringify({ id: 'chatcmpl-demo', object: 'chat.completion.chunk', created: 0, model: body.model, choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`,
      );
    chunk(
      { role: 'assistant', ...(content ? { content } : {}), ...(tool_calls ? { tool_calls } : {}) },
      null,
    );
    chunk({}, finish);
    response.write(
      `data: ${JSON.stringify({ id: 'chatcmpl-demo', object: 'chat.completion.chunk', created: 0, model: body.model, choices: [], usage: { prompt_tokens: 120, completion_tokens: 18, total_tokens: 138 } })}\n\n`,
    );
    response.end('data: [DONE]\n\n');
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();
const sandbox = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-record-'));
let status = 0;
for (const recording of recordings) {
  const cassette = path.join(root, recording.cassette);
  fs.rmSync(cassette, { force: true });
  // Asynchronous: this process also serves the model's requests.
  const child = spawn(
    process.execPath,
    [
      path.join(root, 'bin/taskflow.js'),
      'run',
      recording.taskflow,
      '--record',
      cassette,
      '--output',
      'plain',
    ],
    {
      cwd: path.join(root, recording.cwd),
      env: {
        PATH: process.env.PATH,
        HOME: sandbox,
        TASKFLOW_SESSION_DIR: path.join(sandbox, 'sessions'),
        AI_API_ENDPOINT: `http://127.0.0.1:${port}/v1`,
        TASKFLOW_DEFAULT_MODEL: 'openai/gpt-4.1',
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  status = await new Promise((resolve) => child.on('close', resolve));
  if (status !== 0) break;
  process.stdout.write(
    `recorded ${fs.readFileSync(cassette, 'utf8').trim().split('\n').length} exchanges to ${recording.cassette}\n`,
  );
}
server.close();
fs.rmSync(sandbox, { recursive: true, force: true });
if (status !== 0) process.exit(status ?? 1);
