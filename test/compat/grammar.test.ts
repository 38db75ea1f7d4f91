import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  lastUserText,
  messagesOf,
  startFakeModelServer,
  toolResultsOf,
  type FakeModelServer,
  type FakeReply,
  type RecordedRequest,
} from '../fakes/fake-model-server.js';
import { makeSandbox, parseJsonl, REPO_ROOT, runCli, type CliResult } from '../e2e/cli-harness.js';

/**
 * seclab's grammar acceptance (its pydantic models in models.py, read in lax mode, and the
 * runner's reading of them), black-box: the built CLI validates and runs files that seclab
 * accepts, against the fake model and real MCP servers. Each test names the seclab source
 * of the expected value (src/seclab_taskflow_agent/ of the reference copy).
 */

const REFERENCE = path.resolve(REPO_ROOT, '../shared/reference/seclab-taskflow-agent');
const HEADER = (filetype: string, version = '"1.0"') =>
  `seclab-taskflow-agent:\n  version: ${version}\n  filetype: ${filetype}\n`;

let server: FakeModelServer;
let sandbox: string;
let work: string;

beforeEach(async () => {
  server = await startFakeModelServer();
  server.setHandler(echoOnce);
  sandbox = makeSandbox();
  work = path.join(sandbox, 'work');
  fs.mkdirSync(work);
});
afterEach(async () => {
  await server.close();
  fs.rmSync(sandbox, { recursive: true, force: true });
});

function write(files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(work, name)), { recursive: true });
    fs.writeFileSync(path.join(work, name), text);
  }
}

function cli(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(args, sandbox, {
    cwd: work,
    env: {
      AI_API_ENDPOINT: server.url,
      AI_API_TOKEN: 'test-token-grammar',
      TASKFLOW_DEFAULT_MODEL: 'fake-model',
      ...env,
    },
  });
}

type Event = Record<string, unknown>;

/** `taskflow run <flow> --output jsonl`: the exit code and the events. */
async function run(
  flow: string,
  ...extra: string[]
): Promise<{ result: CliResult; events: Event[] }> {
  const result = await cli(['run', flow, '--output', 'jsonl', ...extra]);
  return { result, events: parseJsonl(result.stdout) };
}

const ofType = (events: readonly Event[], type: string) =>
  events.filter((event) => event.type === type);
/** The messages of the warning events about definitions (they start with file:line:col). */
const warnings = (events: readonly Event[]) =>
  ofType(events, 'warning')
    .map((event) => String(event.message))
    .filter((message) => /^\S+:\d+:\d+ /.test(message));
const modelRequests = () => server.requests.filter((request) => request.api !== 'models');

/** Tool names offered in a request, chat or responses. */
function toolNames(request: RecordedRequest): string[] {
  const tools = (request.body.tools ?? []) as { name?: string; function?: { name?: string } }[];
  return tools.map((tool) => tool.function?.name ?? tool.name ?? '');
}

function systemPrompt(request: RecordedRequest): string {
  const first = messagesOf(request)[0];
  return first?.role === 'system' ? String(first.content) : String(request.body.instructions);
}

/** Calls the echo tool once when one is offered, then answers. */
function echoOnce(request: RecordedRequest): FakeReply {
  const echo = toolNames(request).find((name) => /echo(_tool)?$/.test(name));
  if (echo && toolResultsOf(request).length === 0)
    return { kind: 'message', toolCalls: [{ name: echo, arguments: { message: 'hi' } }] };
  return { kind: 'message', text: 'done' };
}

/** Calls the echo tool on every turn: a task that can only end by running out of steps. */
function echoForever(request: RecordedRequest): FakeReply {
  const echo = toolNames(request).find((name) => /echo(_tool)?$/.test(name)) ?? 'missing';
  return { kind: 'message', toolCalls: [{ name: echo, arguments: { message: 'again' } }] };
}

describe('version headers (models.py:51-68; tests/test_models.py TestTaskflowHeader)', () => {
  it.each([
    ['"1.0"', 'string'],
    ['1', 'integer'],
    ['1.0', 'float'],
  ])('version %s (%s) is version 1.0', async (version) => {
    write({
      'p.yaml': `${HEADER('personality', version)}personality: You help.\ntask: Answer.\n`,
    });
    const result = await cli(['validate', 'p']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
  });

  it('version "2.0" is refused, naming the supported version', async () => {
    write({ 'p.yaml': `${HEADER('personality', '"2.0"')}personality: You help.\n` });
    const result = await cli(['validate', 'p']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'p.yaml:2:12 seclab-taskflow-agent.version: unsupported version "2.0"; the supported version is "1.0"',
    );
  });

  it("seclab's own version test files load as personalities (tests/test_yaml_parser.py)", async () => {
    const expected: Record<string, string[]> = {
      'tests.data.test_version_integer': ['Test personality with integer version.', 'Test task.'],
      'tests.data.test_version_float': ['Test personality with float version.', 'Test task.'],
      'tests.data.test_yaml_parser_personality000': [
        'You are a helpful assistant.',
        'Answer any question.',
      ],
    };
    for (const [name, lines] of Object.entries(expected)) {
      const result = await cli(['ask', name, 'hello', '--path', REFERENCE]);
      expect(result.code, result.stderr).toBe(0);
      const prompt = systemPrompt(modelRequests().at(-1) as RecordedRequest);
      for (const line of lines) expect(prompt).toContain(line);
    }
  });
});

describe('shell tasks ignore the agent fields, with a warning (runner.py:588-598)', () => {
  const flow = `${HEADER('taskflow')}taskflow:
  - task:
      run: echo '["a", "b"]'
      agents: [no.such.personality]
      model: gpt_nowhere
      toolboxes: [no.such.toolbox]
      max_steps: 3
      must_complete: true
  - task:
      agents: [taskflow.personalities.assistant]
      repeat_prompt: true
      user_prompt: Item {{ result }}
`;

  it('validate: valid, one positioned warning per ignored field; --strict refuses', async () => {
    write({ 'flow.yaml': flow });
    const result = await cli(['validate', 'flow.yaml']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.trim().split('\n')).toEqual([
      'flow.yaml:7:15 taskflow[0].task.agents: warning: a shell task ("run") ignores "agents"',
      'flow.yaml:8:14 taskflow[0].task.model: warning: a shell task ("run") ignores "model"',
      'flow.yaml:9:18 taskflow[0].task.toolboxes: warning: a shell task ("run") ignores "toolboxes"',
      'flow.yaml:10:18 taskflow[0].task.max_steps: warning: a shell task ("run") ignores "max_steps"',
    ]);
    expect((await cli(['validate', 'flow.yaml', '--strict'])).code).toBe(2);
  });

  it('run: the script runs, warning events name the fields, exit 0', async () => {
    write({ 'flow.yaml': flow });
    const { result, events } = await run('flow.yaml');
    expect(result.code, result.stderr).toBe(0);
    expect(warnings(events)).toEqual([
      expect.stringMatching(/flow\.yaml:7:15 .*ignores "agents"$/),
      expect.stringMatching(/flow\.yaml:8:14 .*ignores "model"$/),
      expect.stringMatching(/flow\.yaml:9:18 .*ignores "toolboxes"$/),
      expect.stringMatching(/flow\.yaml:10:18 .*ignores "max_steps"$/),
    ]);
    expect(modelRequests().map((request) => lastUserText(request))).toEqual(['Item a', 'Item b']);
  });
});

describe('uses: a fragment without agents takes them from the using task (runner.py:87-113)', () => {
  it('merges first and checks after; the fragment alone validates with a warning', async () => {
    write({
      'fragments/describe.yaml': `${HEADER('taskflow')}taskflow:
  - task:
      user_prompt: Describe {{ inputs.fruit }} for {{ globals.audience }}.
`,
      'flow.yaml': `${HEADER('taskflow')}globals:
  audience: children
taskflow:
  - task:
      uses: fragments.describe
      agents: [taskflow.personalities.assistant]
      inputs:
        fruit: pears
`,
    });
    const validated = await cli(['validate', 'flow.yaml']);
    expect(validated.code, validated.stderr).toBe(0);
    expect(validated.stderr).toBe('');
    const fragment = await cli(['validate', 'fragments.describe']);
    expect(fragment.code, fragment.stderr).toBe(0);
    expect(fragment.stderr).toContain(
      'fragments/describe.yaml:5:5 taskflow[0].task: warning: a prompt task needs at least one personality in "agents": it runs only when another task uses it ("uses") and names them',
    );
    const { result } = await run('flow.yaml');
    expect(result.code, result.stderr).toBe(0);
    const [request] = modelRequests();
    expect(lastUserText(request as RecordedRequest)).toBe('Describe pears for children.');
    expect(systemPrompt(request as RecordedRequest)).toContain('helpful');
  });

  it('run of the fragment alone is refused: it has no agents', async () => {
    write({
      'fragment.yaml': `${HEADER('taskflow')}taskflow:\n  - task:\n      user_prompt: Hello\n`,
    });
    const { result } = await run('fragment.yaml');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'fragment.yaml:5:5 taskflow[0].task: a prompt task needs at least one personality in "agents"',
    );
    expect(modelRequests()).toEqual([]);
  });
});

describe('a taskflow without tasks does nothing (models.py:145-152; test_models.py test_null_taskflow)', () => {
  it.each([
    ['null', 'taskflow:\n'],
    ['empty', 'taskflow: []\n'],
    ['missing', 'globals:\n  fruit: apple\n'],
  ])('taskflow %s: valid with a warning, run exits 0 without tasks', async (_kind, body) => {
    write({ 'flow.yaml': `${HEADER('taskflow')}${body}` });
    const validated = await cli(['validate', 'flow.yaml']);
    expect(validated.code, validated.stderr).toBe(0);
    expect(validated.stderr).toContain(
      'warning: the taskflow has no tasks: running it does nothing',
    );
    const { result, events } = await run('flow.yaml');
    expect(result.code, result.stderr).toBe(0);
    expect(ofType(events, 'task-start')).toEqual([]);
    expect(ofType(events, 'taskflow-end')).toEqual([
      expect.objectContaining({ status: 'succeeded', exitCode: 0 }),
    ]);
    expect(warnings(events)).toEqual([expect.stringContaining('the taskflow has no tasks')]);
  });
});

describe('defaults seclab fills in', () => {
  it('a personality with only the header loads and runs (models.py:155-163)', async () => {
    write({
      'bare.yaml': HEADER('personality'),
      'flow.yaml': `${HEADER('taskflow')}taskflow:\n  - task:\n      agents: [bare]\n      user_prompt: Hello\n`,
    });
    expect((await cli(['validate', 'bare'])).code).toBe(0);
    const { result } = await run('flow.yaml');
    expect(result.code, result.stderr).toBe(0);
    expect(lastUserText(modelRequests()[0] as RecordedRequest)).toBe('Hello');
  });

  it('max_steps: 0 is the default of 50 turns (models.py:99, runner.py:561)', async () => {
    server.setHandler(echoForever);
    write({
      'flow.yaml': `${HEADER('taskflow')}taskflow:
  - task:
      agents: [taskflow.personalities.assistant]
      toolboxes: [seclab_taskflow_agent.toolboxes.echo]
      max_steps: 0
      user_prompt: Echo forever.
`,
    });
    const { result } = await run('flow.yaml');
    expect(result.code).toBe(1);
    expect(modelRequests()).toHaveLength(50);
  }, 60_000);

  it("toolboxes: [] keeps the personalities' toolboxes (runner.py:284-292, 562)", async () => {
    write({
      'echoer.yaml': `${HEADER('personality')}personality: You echo.\ntoolboxes:\n  - seclab_taskflow_agent.toolboxes.echo\n`,
      'flow.yaml': `${HEADER('taskflow')}taskflow:
  - task:
      agents: [echoer]
      toolboxes: []
      user_prompt: Please echo.
`,
    });
    const { result, events } = await run('flow.yaml');
    expect(result.code, result.stderr).toBe(0);
    expect(toolNames(modelRequests()[0] as RecordedRequest)).toContainEqual(
      expect.stringMatching(/echo/),
    );
    expect(ofType(events, 'tool-call-end')).toEqual([
      expect.objectContaining({ toolbox: 'echo', status: 'ok' }),
    ]);
  });

  it('agents without a user_prompt run on an empty prompt, with a warning (models.py:87)', async () => {
    write({
      'flow.yaml': `${HEADER('taskflow')}taskflow:\n  - task:\n      agents: [taskflow.personalities.assistant]\n`,
    });
    const { result, events } = await run('flow.yaml');
    expect(result.code, result.stderr).toBe(0);
    expect(warnings(events)).toEqual([
      expect.stringContaining('the task has no "user_prompt": its agents run on an empty prompt'),
    ]);
    expect(lastUserText(modelRequests()[0] as RecordedRequest)).toBe('');
  });

  it('quoted booleans and numbers are read as pydantic reads them; unknown fields warn (extra="allow")', async () => {
    write({
      'flow.yaml': `${HEADER('taskflow')}taskflow:
  - task:
      agents: [taskflow.personalities.assistant]
      toolboxes: [seclab_taskflow_agent.toolboxes.memcache]
      headless: "yes"
      max_steps: "4"
      future_field: value
      user_prompt: Clear the memory cache.
`,
    });
    server.setHandler((request) =>
      toolResultsOf(request).length === 0
        ? {
            kind: 'message',
            toolCalls: [{ name: 'memcache__memcache_clear_cache', arguments: {} }],
          }
        : { kind: 'message', text: 'cleared' },
    );
    const { result, events } = await run('flow.yaml');
    expect(result.code, result.stderr).toBe(0);
    expect(warnings(events)).toEqual([
      expect.stringMatching(/flow\.yaml:10:7 taskflow\[0\]\.task\.future_field: .*unknown field/),
    ]);
    // headless "yes" approved the confirm tool without --headless or a terminal.
    expect(ofType(events, 'tool-call-end')).toEqual([
      expect.objectContaining({ tool: 'memcache_clear_cache', status: 'ok' }),
    ]);
  });
});

describe('YAML as PyYAML reads it (available_tools.py:125 yaml.safe_load)', () => {
  const flow = `${HEADER('taskflow')}taskflow:
  - task:
      agents: [taskflow.personalities.assistant]
      user_prompt: first
      user_prompt: second
`;

  it('a repeated key keeps the last value, with a warning; --strict refuses it', async () => {
    write({ 'flow.yaml': flow });
    const validated = await cli(['validate', 'flow.yaml']);
    expect(validated.code, validated.stderr).toBe(0);
    expect(validated.stderr).toContain(
      'flow.yaml:8:7 taskflow[0].task.user_prompt: warning: duplicate key "user_prompt" (first written on line 7); the last value is used',
    );
    const { result, events } = await run('flow.yaml');
    expect(result.code, result.stderr).toBe(0);
    expect(warnings(events)).toEqual([expect.stringContaining('duplicate key "user_prompt"')]);
    expect(lastUserText(modelRequests()[0] as RecordedRequest)).toBe('second');

    const strictValidate = await cli(['validate', 'flow.yaml', '--strict']);
    expect(strictValidate.code).toBe(2);
    const strictRun = await cli(['run', 'flow.yaml', '--strict']);
    expect(strictRun.code).toBe(2);
    expect(strictRun.stderr).toContain('flow.yaml:8:7 taskflow[0].task.user_prompt:');
    expect(modelRequests()).toHaveLength(1);
  });

  it('merge keys (<<) merge the anchored mapping', async () => {
    write({
      'flow.yaml': `${HEADER('taskflow')}x-defaults: &defaults
  agents: [taskflow.personalities.assistant]
  headless: true
taskflow:
  - task:
      <<: *defaults
      user_prompt: merged
`,
    });
    const { result } = await run('flow.yaml');
    expect(result.code, result.stderr).toBe(0);
    expect(lastUserText(modelRequests()[0] as RecordedRequest)).toBe('merged');
  });
});

describe('positioned errors remain for what seclab refuses too', () => {
  it('run with user_prompt is refused at its position (models.py:106-110)', async () => {
    write({
      'flow.yaml': `${HEADER('taskflow')}taskflow:\n  - task:\n      run: echo hi\n      user_prompt: Hello\n`,
    });
    const { result } = await run('flow.yaml');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'flow.yaml:6:12 taskflow[0].task.run: a shell task ("run") cannot have "user_prompt"',
    );
  });
});
