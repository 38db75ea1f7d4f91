import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  lastUserText,
  messagesOf,
  startFakeModelServer,
  type FakeModelServer,
  type RecordedRequest,
} from '../fakes/fake-model-server.js';
import { makeSandbox, parseJsonl, REPO_ROOT, runCli, type CliResult } from '../e2e/cli-harness.js';

/**
 * seclab's tests of reusable taskflows (`uses`: tests/test_runner.py TestMergeReusableTask,
 * runner.py:87-113) and reusable prompts (`{% include %}`: tests/test_template_utils.py
 * TestPromptLoader), with the same expected values, black-box: the built CLI against the
 * fake model, seclab's own test data used in place through --path.
 */

const REFERENCE = path.resolve(REPO_ROOT, '../shared/reference/seclab-taskflow-agent');
const HEADER = (filetype: string) =>
  `seclab-taskflow-agent:\n  version: "1.0"\n  filetype: ${filetype}\n`;

let server: FakeModelServer;
let sandbox: string;
let work: string;

beforeEach(async () => {
  server = await startFakeModelServer();
  server.setHandler(() => ({ kind: 'message', text: 'done' }));
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

function cli(...args: string[]): Promise<CliResult> {
  return runCli([...args, '--path', REFERENCE], sandbox, {
    cwd: work,
    env: {
      AI_API_ENDPOINT: server.url,
      AI_API_TOKEN: 'test-token-reusable',
      TASKFLOW_DEFAULT_MODEL: 'fake-model',
    },
  });
}

type Event = Record<string, unknown>;

async function run(flow: string): Promise<{ result: CliResult; events: Event[] }> {
  const result = await cli('run', flow, '--output', 'jsonl');
  return { result, events: parseJsonl(result.stdout) };
}

const modelRequests = () => server.requests.filter((request) => request.api !== 'models');
const promptOf = (index: number) =>
  lastUserText(modelRequests()[index] as RecordedRequest) ?? '<no prompt>';
const ofType = (events: readonly Event[], type: string) =>
  events.filter((event) => event.type === type);

/** A single-task taskflow whose one prompt task uses the bundled assistant. */
const promptFlow = (userPrompt: string, globals = '') =>
  `${HEADER('taskflow')}${globals}taskflow:
  - task:
      agents: [seclab_taskflow_agent.personalities.assistant]
      user_prompt: |
${userPrompt
  .split('\n')
  .map((line) => `        ${line}`)
  .join('\n')}
`;

describe('reusable taskflows (uses)', () => {
  it("seclab's tests/data/test_taskflow_using_reusable runs unchanged", async () => {
    const { result } = await run('tests.data.test_taskflow_using_reusable');
    expect(result.code, result.stderr).toBe(0);
    const prompt = promptOf(0);
    expect(prompt).toContain('This is a reusable taskflow.');
    expect(prompt).toContain('Global: global_from_parent');
    expect(prompt).toContain('Input: input_from_parent');
    const system = messagesOf(modelRequests()[0] as RecordedRequest)[0];
    expect(String(system?.content)).toContain('You are a helpful assistant.');
  });

  it("its prompt renders the using taskflow's globals and inputs (test_reusable_taskflow_prompt_renders_variables)", async () => {
    write({
      'flow.yaml': `${HEADER('taskflow')}globals:
  reusable_global: parent_global_value
taskflow:
  - task:
      uses: tests.data.test_reusable_taskflow_with_variables
      inputs:
        reusable_input: parent_input_value
`,
    });
    const { result } = await run('flow.yaml');
    expect(result.code, result.stderr).toBe(0);
    expect(promptOf(0)).toContain('This is a reusable taskflow');
    expect(promptOf(0)).toContain('parent_global_value');
    expect(promptOf(0)).toContain('parent_input_value');
  });

  it('fields of the using task override the reusable one (test_current_fields_override_parent)', async () => {
    write({
      'reusable.yaml': `${HEADER('taskflow')}taskflow:
  - task:
      name: parent
      agents: [seclab_taskflow_agent.personalities.assistant]
      model: slow
      user_prompt: parent prompt
`,
      'flow.yaml': `${HEADER('taskflow')}taskflow:
  - task:
      uses: reusable
      name: child
      model: fast
`,
    });
    const { result, events } = await run('flow.yaml');
    expect(result.code, result.stderr).toBe(0);
    expect(ofType(events, 'task-start').map((event) => event.taskName)).toEqual(['child']);
    expect(modelRequests().map((request) => request.body.model)).toEqual(['fast']);
    expect(promptOf(0)).toBe('parent prompt');
  });

  it('fields the using task leaves out come from the reusable one (test_parent_defaults_fill_in)', async () => {
    server.setHandler(() => ({
      kind: 'message',
      toolCalls: [{ name: 'memcache__memcache_clear_cache', arguments: {} }],
    }));
    write({
      'reusable.yaml': `${HEADER('taskflow')}taskflow:
  - task:
      name: parent
      agents: [seclab_taskflow_agent.personalities.assistant]
      toolboxes: [seclab_taskflow_agent.toolboxes.memcache]
      headless: true
      must_complete: true
      max_steps: 1
      user_prompt: do something
`,
      'flow.yaml': `${HEADER('taskflow')}taskflow:
  - task:
      uses: reusable
      name: override-name
  - task:
      run: echo never
`,
    });
    const { result, events } = await run('flow.yaml');
    // headless: the confirm tool ran without approval; max_steps 1: the task ran out of
    // steps; must_complete: the run stopped there.
    expect(ofType(events, 'tool-call-end')).toEqual([
      expect.objectContaining({ tool: 'memcache_clear_cache', status: 'ok' }),
    ]);
    expect(modelRequests()).toHaveLength(1);
    expect(ofType(events, 'task-start').map((event) => event.taskName)).toEqual(['override-name']);
    expect(result.code).toBe(1);
  });

  it('a reusable taskflow with two tasks is refused (test_raises_if_reusable_has_multiple_tasks)', async () => {
    write({
      'two.yaml': `${HEADER('taskflow')}taskflow:
  - task:
      run: echo one
  - task:
      run: echo two
`,
      'flow.yaml': `${HEADER('taskflow')}taskflow:\n  - task:\n      uses: two\n`,
    });
    const result = await cli('validate', 'flow.yaml');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'flow.yaml:6:13 taskflow[0].task.uses: "uses" needs a taskflow with exactly one task; "two" has 2',
    );
  });

  it('an unknown reusable taskflow is refused (test_raises_if_reusable_not_found)', async () => {
    write({
      'flow.yaml': `${HEADER('taskflow')}taskflow:\n  - task:\n      uses: pkg.missing\n`,
    });
    const result = await cli('validate', 'flow.yaml');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'flow.yaml:6:13 taskflow[0].task.uses: unknown taskflow "pkg.missing"',
    );
  });
});

describe('reusable prompts ({% include %})', () => {
  it('includes a prompt by dotted name (test_include_prompt)', async () => {
    write({
      'flow.yaml': promptFlow("Main content.\n{% include 'examples.prompts.example_prompt' %}"),
    });
    const { result } = await run('flow.yaml');
    expect(result.code, result.stderr).toBe(0);
    expect(promptOf(0)).toContain('Main content');
    expect(promptOf(0).toLowerCase()).toContain('bananas');
  });

  it('the included prompt sees the context (test_include_with_context)', async () => {
    write({
      'flow.yaml': promptFlow(
        "Value: {{ globals.test }}\n{% include 'examples.prompts.example_prompt' %}",
        'globals:\n  test: context_value\n',
      ),
    });
    const { result } = await run('flow.yaml');
    expect(result.code, result.stderr).toBe(0);
    expect(promptOf(0)).toContain('context_value');
  });

  it('an included prompt renders globals and inputs (test_include_prompt_with_globals_and_inputs)', async () => {
    write({
      'flow.yaml': `${HEADER('taskflow')}globals:
  test_global: global_value
taskflow:
  - task:
      agents: [seclab_taskflow_agent.personalities.assistant]
      inputs:
        test_input: input_value
      user_prompt: |
        Main task prompt.
        {% include 'tests.data.test_prompt_with_variables' %}
        End of prompt.
`,
    });
    const { result } = await run('flow.yaml');
    expect(result.code, result.stderr).toBe(0);
    for (const part of ['Main task prompt', 'global_value', 'input_value', 'End of prompt'])
      expect(promptOf(0)).toContain(part);
  });

  it('an unknown prompt is refused before anything runs (test_load_nonexistent_prompt)', async () => {
    write({ 'flow.yaml': promptFlow("{% include 'nonexistent.prompt' %}") });
    const result = await cli('run', 'flow.yaml');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'flow.yaml:8:9 taskflow[0].task.user_prompt: unknown prompt "nonexistent.prompt"',
    );
    expect(modelRequests()).toEqual([]);
  });
});
