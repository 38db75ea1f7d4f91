import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  lastUserText,
  messagesOf,
  startFakeModelServer,
  toolResultsOf,
  type FakeModelServer,
  type FakeReply,
  type FakeToolCall,
  type RecordedRequest,
} from '../fakes/fake-model-server.js';
import { makeSandbox, parseJsonl, REPO_ROOT, runCli } from '../e2e/cli-harness.js';

/**
 * Acceptance 2 of issue 9: every taskflow, personality, toolbox, prompt and model config of
 * seclab-taskflow-agent (its examples, its bundle, its test data) validates unchanged with
 * the built CLI, used in place (`--path` the reference folder; nothing is copied), and every
 * example taskflow that needs no external service runs unchanged to exit 0 against the fake
 * model (a diligent one: it does what the prompts ask) and the real bundled MCP servers.
 */

// Real path: issues name files by their real path.
const REFERENCE = fs.realpathSync(
  path.resolve(REPO_ROOT, '../shared/reference/seclab-taskflow-agent'),
);
const PACKAGE = path.join(REFERENCE, 'src/seclab_taskflow_agent');

function yamlFiles(directory: string): string[] {
  return fs
    .readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.yaml'))
    .map((name) => path.join(directory, name))
    .sort();
}

const FILES = [
  ...yamlFiles(path.join(REFERENCE, 'examples')),
  ...yamlFiles(path.join(PACKAGE, 'personalities')),
  ...yamlFiles(path.join(PACKAGE, 'toolboxes')),
  ...yamlFiles(path.join(REFERENCE, 'tests/data')),
];

/** Example taskflows and why one is not run here. */
const EXTERNAL: Record<string, string> = {
  'CVE-2023-2283': "a CodeQL database of libssh and seclab's CodeQL server",
  example: "seclab's CodeQL server (task 1 lists the codeql toolbox)",
  example_large_list_result_iter: "GitHub's remote MCP server (network and GH_TOKEN)",
};
/** Run with `-m` over a local model config: their own sends gpt_responses to api.githubcopilot.com. */
const RESPONSES_API = ['echo_responses_api', 'example_responses_api'];
const RUNNABLE = [
  'comprehensive_test',
  'echo',
  'edge_case_test',
  'example_globals',
  'example_inputs',
  'example_repeat_prompt',
  'example_repeat_prompt_async',
  'example_repeat_prompt_dictionary',
  'example_reusable_prompt',
  'example_reusable_taskflows',
  'example_triage_taskflow',
  'single_step_taskflow',
];

let sandbox: string;
beforeAll(() => {
  sandbox = makeSandbox();
});
afterAll(() => fs.rmSync(sandbox, { recursive: true, force: true }));

describe('taskflow validate on every seclab file, unchanged', () => {
  interface Issue {
    severity: string;
    filePath: string;
    line: number;
    column: number;
    fieldPath: string;
    message: string;
  }
  let issues: Issue[] = [];

  beforeAll(async () => {
    const result = await runCli(['validate', '--json', '--path', REFERENCE, ...FILES], sandbox, {
      cwd: sandbox,
      timeoutMs: 60_000,
    });
    expect(result.stderr).toBe('');
    issues = (JSON.parse(result.stdout) as { issues: Issue[] }).issues;
  }, 60_000);

  it('finds the files: examples, bundle and test data', () => {
    expect(FILES.map((file) => path.relative(REFERENCE, file))).toEqual(
      expect.arrayContaining([
        'examples/taskflows/CVE-2023-2283.yaml',
        'examples/model_configs/responses_api.yaml',
        'examples/prompts/example_prompt.yaml',
        'src/seclab_taskflow_agent/personalities/c_auditer.yaml',
        'src/seclab_taskflow_agent/toolboxes/codeql.yaml',
        'tests/data/test_version_float.yaml',
      ]),
    );
    expect(FILES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(FILES.map((file) => [path.relative(REFERENCE, file), file]))(
    '%s has no errors',
    (_name, file) => {
      const errors = issues
        .filter((issue) => issue.severity === 'error' && issue.filePath === file)
        .map((issue) => `${issue.line}:${issue.column} ${issue.fieldPath}: ${issue.message}`);
      expect(errors).toEqual([]);
    },
  );

  it('every error is in one of those files', () => {
    const elsewhere = issues.filter(
      (issue) => issue.severity === 'error' && !FILES.includes(issue.filePath),
    );
    expect(elsewhere).toEqual([]);
  });

  it('every example taskflow is either run below or named with the service it needs', () => {
    const examples = fs
      .readdirSync(path.join(REFERENCE, 'examples/taskflows'))
      .map((name) => name.replace(/\.yaml$/, ''))
      .sort();
    expect([...RUNNABLE, ...RESPONSES_API, ...Object.keys(EXTERNAL)].sort()).toEqual(examples);
  });
});

describe('taskflow run on every seclab example that needs no external service', () => {
  let server: FakeModelServer;
  let work: string;

  beforeEach(async () => {
    server = await startFakeModelServer();
    server.setHandler(seclabExampleModel);
    work = fs.mkdtempSync(path.join(sandbox, 'run-'));
  });
  afterEach(async () => {
    await server.close();
  });

  async function runExample(reference: string, ...extra: string[]) {
    const result = await runCli(
      ['run', reference, '--path', REFERENCE, '--output', 'jsonl', ...extra],
      sandbox,
      {
        cwd: work,
        timeoutMs: 60_000,
        env: {
          AI_API_ENDPOINT: server.url,
          AI_API_TOKEN: 'test-token-reference',
          TASKFLOW_DEFAULT_MODEL: 'fake-model',
        },
      },
    );
    const events = parseJsonl(result.stdout);
    const ends = events.filter((event) => event.type === 'task-end');
    expect(
      { code: result.code, failed: ends.filter((event) => event.status !== 'succeeded') },
      result.stderr,
    ).toEqual({ code: 0, failed: [] });
    expect(ends.length).toBeGreaterThan(0);
    expect(server.unscripted).toEqual([]);
    return events;
  }

  const itemCounts = (events: Record<string, unknown>[]) =>
    events.filter((event) => event.type === 'task-start').map((event) => event.itemCount);

  it.each(RUNNABLE)(
    'examples.taskflows.%s exits 0 with every task succeeded',
    async (name) => {
      const events = await runExample(`examples.taskflows.${name}`);
      const repeats: Record<string, unknown[]> = {
        comprehensive_test: [1, 3, 1, 1, 1, 1],
        example_repeat_prompt: [1, 3],
        example_repeat_prompt_dictionary: [1, 3],
        example_triage_taskflow: [1, 1, 3],
        edge_case_test: [1, 2, 1],
      };
      if (repeats[name]) expect(itemCounts(events)).toEqual(repeats[name]);
    },
    60_000,
  );

  it.each(RESPONSES_API)(
    'examples.taskflows.%s exits 0 over the Responses API with a local model config (-m)',
    async (name) => {
      fs.writeFileSync(
        path.join(work, 'local_responses.yaml'),
        'seclab-taskflow-agent:\n  version: "1.0"\n  filetype: model_config\n' +
          'models:\n  gpt_responses: fake-model\nmodel_settings:\n  gpt_responses:\n    api_type: responses\n',
      );
      await runExample(`examples.taskflows.${name}`, '-m', 'local_responses');
      expect(server.requests.filter((request) => request.api === 'responses').length).toBe(
        server.requests.filter((request) => request.api !== 'models').length,
      );
    },
    60_000,
  );

  it.each(['test_globals_taskflow', 'test_taskflow_using_reusable'])(
    "seclab's test data tests.data.%s exits 0",
    async (name) => {
      await runExample(`tests.data.${name}`);
    },
    60_000,
  );
});

interface OfferedTool {
  readonly name: string;
  readonly properties: string[];
}

/** Tools offered in a request (chat or responses) with their parameter names. */
function offeredTools(request: RecordedRequest): OfferedTool[] {
  type Tool = {
    name?: string;
    parameters?: { properties?: object };
    function?: { name?: string; parameters?: { properties?: object } };
  };
  return ((request.body.tools ?? []) as Tool[]).map((tool) => ({
    name: tool.function?.name ?? tool.name ?? '',
    properties: Object.keys(
      tool.function?.parameters?.properties ?? tool.parameters?.properties ?? {},
    ),
  }));
}

/** `[{index : 1}]` as a model would read it: JSON once bare keys are quoted. */
function looseJson(text: string): unknown {
  return JSON.parse(text.replace(/([{,]\s*)([A-Za-z_]\w*)\s*:/g, '$1"$2":'));
}

/**
 * The tool calls a diligent model makes for the prompts of seclab's examples, in order,
 * using whichever offered tool fits (by name suffix) and its parameter names.
 */
function plannedCalls(prompt: string, tools: readonly OfferedTool[]): FakeToolCall[] {
  const tool = (suffix: RegExp) => tools.find((offered) => suffix.test(offered.name));
  const calls: FakeToolCall[] = [];
  const add = (found: OfferedTool | undefined, values: unknown[]) => {
    if (!found) return;
    const args = Object.fromEntries(found.properties.map((name, index) => [name, values[index]]));
    calls.push({ name: found.name, arguments: args });
  };
  const text = prompt.replace(/\s+/g, ' ');
  if (/clear the memory cache/i.test(text)) add(tool(/clear_cache$/), []);
  const store = /store the json array (.*?\]) in .*?`([^`]+)`/i.exec(text);
  if (store) add(tool(/set_state$/), [store[2], looseJson(store[1] ?? '[]')]);
  const retrieve = /retrieve the contents of the `([^`]+)`/i.exec(text);
  if (retrieve) add(tool(/get_state$/), [retrieve[1]]);
  const echo = tool(/echo(_tool)?$/);
  if (echo && calls.length === 0) {
    const quoted = /message: "([^"]*)"/i.exec(text)?.[1];
    add(echo, [quoted ?? prompt.trim()]);
  }
  return calls;
}

const TRANSFERRED = /^Transferred to /;

/** Transfer first when a handoff is offered; then the planned calls; then an answer. */
function seclabExampleModel(request: RecordedRequest): FakeReply {
  const tools = offeredTools(request);
  const results = toolResultsOf(request);
  const transfer = tools.find((tool) => tool.name.startsWith('transfer_to_'));
  if (transfer && !results.some((result) => TRANSFERRED.test(result.output)))
    return { kind: 'message', toolCalls: [{ name: transfer.name, arguments: {} }] };
  const own = results.filter((result) => !TRANSFERRED.test(result.output));
  const next = plannedCalls(lastUserText(request) ?? '', tools)[own.length];
  if (next) return { kind: 'message', toolCalls: [next] };
  const first = messagesOf(request)[0];
  const system =
    first?.role === 'system' ? String(first.content) : String(request.body.instructions);
  const who = /You are ([^.]+)\./.exec(system)?.[1] ?? 'an agent';
  const last = own.at(-1)?.output;
  return { kind: 'message', text: last === undefined ? `Answered as ${who}.` : `Result: ${last}` };
}
