import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  lastUserText,
  toolResultsOf,
  startFakeModelServer,
  type FakeModelServer,
  type FakeReply,
  type FakeToolCall,
  type RecordedRequest,
} from '../fakes/fake-model-server.js';
import { makeSandbox } from '../e2e/cli-harness.js';
import { contractEvents, ofType, runTaskflow } from '../e2e/run-kit.js';

/**
 * The bundled servers under seclab's names (seclab_taskflow_agent.toolboxes.echo, .memcache,
 * .logbook) behave as seclab's: the built CLI runs a taskflow, the fake model calls tools,
 * the real server processes answer. Every expected answer and file is what seclab's
 * servers give (mcp_servers/echo/echo.py, memcache/memcache.py with
 * memcache_backend/dictionary_file.py and sqlite.py, logbook/logbook.py), worked out from
 * their source and checked against it.
 */

const HEADER = 'seclab-taskflow-agent:\n  version: "1.0"\n  filetype: taskflow\n';
const KEYS_HEADER = 'IMPORTANT: your known memcache keys are now:\n';

let server: FakeModelServer;
let sandbox: string;
let project: string;

beforeEach(async () => {
  server = await startFakeModelServer();
  sandbox = makeSandbox();
  project = path.join(sandbox, 'project');
  fs.mkdirSync(project);
});
afterEach(async () => {
  await server.close();
  fs.rmSync(sandbox, { recursive: true, force: true });
});

/** One headless assistant task per prompt, with `toolboxes` and optional task `env`. */
function flow(
  tasks: readonly { prompt: string; toolboxes: readonly string[]; env?: string }[],
): string {
  const lines = tasks.map(
    (task) => `  - task:
      headless: true
      agents: [seclab_taskflow_agent.personalities.assistant]
      toolboxes: [${task.toolboxes.map((name) => `seclab_taskflow_agent.toolboxes.${name}`).join(', ')}]
      user_prompt: ${JSON.stringify(task.prompt)}
${task.env === undefined ? '' : `      env:\n${task.env}`}`,
  );
  return `${HEADER}taskflow:\n${lines.join('\n')}\n`;
}

/** The model makes the calls planned for the prompt, one per turn, then answers "done". */
function followPlans(plans: Readonly<Record<string, readonly FakeToolCall[]>>): void {
  server.setHandler((request): FakeReply => {
    const prompt = lastUserText(request) ?? '';
    const plan = Object.entries(plans).find(([marker]) => prompt.includes(marker))?.[1] ?? [];
    const next = plan[toolResultsOf(request).length];
    return next ? { kind: 'message', toolCalls: [next] } : { kind: 'message', text: 'done' };
  });
}

/** The tool results the model received for the prompt containing `marker`, in order. */
function resultsFor(marker: string): string[] {
  const requests = server.requests.filter((request) =>
    (lastUserText(request) ?? '').includes(marker),
  );
  return toolResultsOf(requests.at(-1)!).map((result) => result.output);
}

async function run(flowText: string, env: Record<string, string | undefined> = {}) {
  fs.writeFileSync(path.join(project, 'flow.yaml'), flowText);
  const result = await runTaskflow(server, sandbox, ['flow.yaml', '--output', 'jsonl'], {
    cwd: project,
    env,
  });
  expect(result.stderr).not.toMatch(/^\s+at /m);
  return { result, events: contractEvents(result.stdout) };
}

type ToolSpec = {
  function?: { name?: string; parameters?: { properties?: object; required?: string[] } };
};

/** Name -> [argument names, required arguments] of the tools offered in a request. */
function signatures(request: RecordedRequest): Record<string, [string[], string[]]> {
  const tools = (request.body.tools ?? []) as ToolSpec[];
  return Object.fromEntries(
    tools.map((tool) => [
      tool.function?.name ?? '',
      [
        Object.keys(tool.function?.parameters?.properties ?? {}),
        tool.function?.parameters?.required ?? [],
      ],
    ]),
  );
}

describe("the bundled servers under seclab's names", () => {
  it("offer seclab's tools and argument names, and no diagnostic tool", async () => {
    followPlans({});
    const { result } = await run(
      flow([{ prompt: 'List your tools.', toolboxes: ['echo', 'memcache', 'logbook'] }]),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(signatures(server.requests[0]!)).toEqual({
      echo__echo_tool: [['message'], ['message']],
      memcache__memcache_set_state: [
        ['key', 'value'],
        ['key', 'value'],
      ],
      memcache__memcache_get_state: [['key'], ['key']],
      memcache__memcache_list_keys: [[], []],
      memcache__memcache_get_all_entries: [[], []],
      memcache__memcache_add_state: [
        ['key', 'value'],
        ['key', 'value'],
      ],
      memcache__memcache_delete_state: [['key'], ['key']],
      memcache__memcache_clear_cache: [[], []],
      logbook__logbook_write: [
        ['entry', 'key'],
        ['entry', 'key'],
      ],
      logbook__logbook_read: [['key'], ['key']],
      logbook__logbook_erase: [['key'], ['key']],
    });
  });

  it('echo: echo_tool answers "Tool echo: <message>" and logs to $LOG_DIR/mcp_echo.log', async () => {
    followPlans({ Echo: [{ name: 'echo__echo_tool', arguments: { message: 'hello' } }] });
    const logDirectory = path.join(sandbox, 'logs');
    const { result } = await run(flow([{ prompt: 'Echo hello.', toolboxes: ['echo'] }]), {
      LOG_DIR: logDirectory,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(resultsFor('Echo')).toEqual(['Tool echo: hello']);
    expect(fs.readFileSync(path.join(logDirectory, 'mcp_echo.log'), 'utf8')).toContain(
      'echo: echo_tool called',
    );
  });

  it('memcache, MEMCACHE_BACKEND=dictionary_file in the task env: answers and memory.json as seclab', async () => {
    const call = (name: string, args: Record<string, unknown> = {}): FakeToolCall => ({
      name: `memcache__memcache_${name}`,
      arguments: args,
    });
    followPlans({
      Remember: [
        call('set_state', { key: 'fruits', value: ['apple'] }),
        call('add_state', { key: 'fruits', value: 'banana' }),
        call('add_state', { key: 'fruits', value: ['cherry'] }),
        call('add_state', { key: 'count', value: 1 }),
        call('get_state', { key: 'fruits' }),
        call('get_state', { key: 'missing' }),
        call('get_all_entries'),
        call('list_keys'),
      ],
      Forget: [
        call('get_state', { key: 'fruits' }),
        call('delete_state', { key: 'fruits' }),
        call('delete_state', { key: 'fruits' }),
        call('clear_cache'),
      ],
    });
    // As seclab's examples write it: a state folder relative to where the runner starts.
    const env =
      '        MEMCACHE_STATE_DIR: "example_taskflow/"\n        MEMCACHE_BACKEND: "dictionary_file"\n';
    const memoryFile = path.join(project, 'example_taskflow', 'memory.json');
    const { result } = await run(
      flow([
        { prompt: 'Remember fruits.', toolboxes: ['memcache'], env },
        { prompt: 'Forget fruits.', toolboxes: ['memcache'], env },
      ]),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(resultsFor('Remember')).toEqual([
      'Stored value in memory for `fruits`',
      'Updated and added to value in memory for key: `fruits`',
      'Updated and added to value in memory for key: `fruits`',
      "Error: unsupported types for memcache add `<class 'NoneType'> + <class 'int'>` for key `count`",
      '["apple", "banana", "cherry"]',
      '""',
      '[{"key": "fruits", "value": ["apple", "banana", "cherry"]}]',
      `${KEYS_HEADER}\n- fruits`,
    ]);
    // A second task (a new server process) sees the first one's memory.
    expect(resultsFor('Forget')).toEqual([
      '["apple", "banana", "cherry"]',
      'Deleted key `fruits` from memory cache.',
      'Key `fruits` not found in memory cache.',
      'Memory cache was cleared, all previous key lists are invalidated.',
    ]);
    expect(fs.readFileSync(memoryFile, 'utf8')).toBe('{}');
  });

  it("memcache, MEMCACHE_BACKEND unset: seclab's default sqlite backend semantics", async () => {
    const call = (name: string, args: Record<string, unknown> = {}): FakeToolCall => ({
      name: `memcache__memcache_${name}`,
      arguments: args,
    });
    followPlans({
      Collect: [
        call('add_state', { key: 'findings', value: 'a' }),
        call('add_state', { key: 'findings', value: 'b' }),
        call('set_state', { key: 'list', value: [1] }),
        call('add_state', { key: 'list', value: [2] }),
        call('get_state', { key: 'findings' }),
        call('get_state', { key: 'list' }),
        call('get_all_entries'),
      ],
    });
    const { result } = await run(flow([{ prompt: 'Collect findings.', toolboxes: ['memcache'] }]), {
      MEMCACHE_BACKEND: undefined,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(resultsFor('Collect')).toEqual([
      'Updated and added to value in memory for key: `findings`',
      'Updated and added to value in memory for key: `findings`',
      'Stored value in memory for `list`',
      'Updated and added to value in memory for key: `list`',
      '"ab"',
      '[1, [2]]',
      '[{"key": "findings", "value": "a"}, {"key": "findings", "value": "b"}, ' +
        '{"key": "list", "value": [1]}, {"key": "list", "value": [2]}]',
    ]);
    // MEMCACHE_STATE_DIR from the harness: <sandbox>/memcache.
    expect(fs.existsSync(path.join(sandbox, 'memcache', 'memory.sqlite.json'))).toBe(true);
  });

  // The runner makes 3 start attempts, 5 s and 15 s apart (resilience.md), before failing.
  it(
    'memcache: an unknown MEMCACHE_BACKEND fails the task at start, naming the variable',
    { timeout: 60_000 },
    async () => {
      followPlans({});
      const { result, events } = await run(
        flow([{ prompt: 'Anything.', toolboxes: ['memcache'] }]),
        {
          MEMCACHE_BACKEND: 'redis',
        },
      );
      expect(result.code).toBe(1);
      const failure = String(ofType(events, 'task-end')[0]?.error);
      expect(failure).toContain('toolbox "memcache"');
      expect(failure).toContain('MEMCACHE_BACKEND="redis" is not a memcache backend');
      expect(server.requests).toHaveLength(0);
    },
  );

  it('memcache: a JSON list result drives the next repeat_prompt task, item by item', async () => {
    followPlans({
      Store: [
        { name: 'memcache__memcache_set_state', arguments: { key: 'numbers', value: [1, 2, 3] } },
        { name: 'memcache__memcache_get_state', arguments: { key: 'numbers' } },
      ],
    });
    const { result, events } = await run(
      `${HEADER}taskflow:
  - task:
      agents: [seclab_taskflow_agent.personalities.assistant]
      toolboxes: [seclab_taskflow_agent.toolboxes.memcache]
      user_prompt: Store the numbers, then read them back.
      env:
        MEMCACHE_BACKEND: dictionary_file
  - task:
      repeat_prompt: true
      agents: [seclab_taskflow_agent.personalities.assistant]
      user_prompt: "What is the integer value of {{ result }}?"
`,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(resultsFor('Store').at(-1)).toBe('[1, 2, 3]');
    expect(ofType(events, 'task-start').map((event) => event.itemCount)).toEqual([1, 3]);
    const asked = server.requests.map((request) => lastUserText(request) ?? '');
    for (const value of [1, 2, 3])
      expect(asked).toContain(`What is the integer value of ${value}?`);
  });

  it('logbook: entries per key, read as an indented JSON list, erase empties one key', async () => {
    const call = (name: string, args: Record<string, unknown>): FakeToolCall => ({
      name: `logbook__logbook_${name}`,
      arguments: args,
    });
    followPlans({
      Journal: [
        call('write', { entry: 'first', key: 'alpha' }),
        call('write', { entry: 'other', key: 'beta' }),
        call('write', { entry: 'second', key: 'alpha' }),
        call('read', { key: 'alpha' }),
        call('read', { key: 'gamma' }),
        call('erase', { key: 'alpha' }),
        call('read', { key: 'alpha' }),
      ],
    });
    const { result } = await run(flow([{ prompt: 'Journal it.', toolboxes: ['logbook'] }]));
    expect(result.code, result.stderr).toBe(0);
    expect(resultsFor('Journal')).toEqual([
      'Stored logbook entry for `alpha`',
      'Stored logbook entry for `beta`',
      'Stored logbook entry for `alpha`',
      '[\n  "first",\n  "second"\n]',
      '[]',
      'Erased logbook entries stored for `alpha`',
      '[]',
    ]);
    // LOGBOOK_STATE_DIR from the harness: <sandbox>/logbook.
    expect(fs.readFileSync(path.join(sandbox, 'logbook', 'logbook.json'), 'utf8')).toBe(
      '{\n  "alpha": [],\n  "beta": [\n    "other"\n  ]\n}',
    );
  });
});
