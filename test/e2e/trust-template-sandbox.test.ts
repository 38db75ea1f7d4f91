import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/fake-model-server.js';
import { makeSandbox } from './cli-harness.js';
import { runTaskflow } from './run-kit.js';

/**
 * Issue 10 defect 12: a template cannot run JavaScript, in any position the built CLI
 * renders. Each case puts the same escape in one position: it reaches `Function` through
 * `range[...]` with a computed key (so the load-time check cannot see it and the run-time
 * sandbox must refuse it), and the code it would run creates a marker file through
 * child_process. Each run must end with exit 1 or 2, a positioned error (file:line:col in
 * the file that holds the template; a toolbox value is named by toolbox and field, as every
 * toolbox render error is), and no marker.
 */

const ESCAPE = 'range[globals.k][globals.k](globals.js)()';

let server: FakeModelServer;
let sandbox: string;
let workspace: string;
let marker: string;

beforeEach(async () => {
  server = await startFakeModelServer();
  server.setHandler(() => ({ kind: 'message', text: 'Done.' }));
  sandbox = makeSandbox();
  workspace = path.join(sandbox, 'workspace');
  for (const folder of ['prompts', 'toolboxes'])
    fs.mkdirSync(path.join(workspace, folder), { recursive: true });
  marker = path.join(sandbox, 'escaped');
});
afterEach(async () => {
  await server.close();
  fs.rmSync(sandbox, { recursive: true, force: true });
});

/** A taskflow whose globals hold the pieces of the escape; `task` is the YAML of one task. */
function writeFlow(task: string): string {
  const script = `process.getBuiltinModule('child_process').execSync('touch ${marker}')`;
  const flow = [
    'seclab-taskflow-agent:',
    '  version: "1.0"',
    '  filetype: taskflow',
    '',
    'globals:',
    '  k: constructor',
    `  js: "${script}"`,
    '',
    'taskflow:',
    task,
    '',
  ].join('\n');
  const file = path.join(workspace, 'flow.yaml');
  fs.writeFileSync(file, flow);
  return file;
}

function writeFile(relative: string, text: string): string {
  const file = path.join(workspace, relative);
  fs.writeFileSync(file, text);
  return file;
}

/** A toolbox of the bundled echo server with extra `args` items and `env` entries (YAML). */
function writeToolbox(args: string, env: string): string {
  return writeFile(
    'toolboxes/probe.yaml',
    [
      'seclab-taskflow-agent:',
      '  version: "1.0"',
      '  filetype: toolbox',
      '',
      'server_params:',
      '  kind: stdio',
      '  command: "{{ runner.node }}"',
      `  args: ["{{ runner.root }}/dist/mcp-servers/echo.js"${args}]`,
      `  env: {TEST: value${env}}`,
      '',
    ].join('\n'),
  );
}

const PROMPT_TASK = [
  '  - task:',
  '      name: probe',
  '      agents: [seclab_taskflow_agent.personalities.assistant]',
].join('\n');

/** Runs the flow; expects a refusal at `location` (a file: file:line:col) and no marker. */
async function expectRefused(
  location: string | RegExp,
  refusal = /cannot read "constructor"/,
): Promise<number | null> {
  const result = await runTaskflow(server, sandbox, ['flow.yaml', '--output', 'plain'], {
    cwd: workspace,
  });
  const output = result.stdout + result.stderr;
  expect(fs.existsSync(marker), `the template ran code\n${output}`).toBe(false);
  expect([1, 2], output).toContain(result.code);
  const where =
    typeof location === 'string' ? new RegExp(`${escapeRegExp(location)}:\\d+:\\d+`) : location;
  expect(output).toMatch(where);
  expect(output).toMatch(refusal);
  expect(output).not.toMatch(/internal error|\n\s+at /);
  return result.code;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('a template cannot run JavaScript, in any position', () => {
  it('user_prompt', async () => {
    const flow = writeFlow(`${PROMPT_TASK}\n      user_prompt: "Hi {{ ${ESCAPE} }}"`);
    await expectRefused(flow);
    expect(server.requests).toEqual([]);
  });

  it('if', async () => {
    const flow = writeFlow(
      ['  - task:', '      name: probe', `      if: "${ESCAPE}"`, '      run: echo ran'].join('\n'),
    );
    await expectRefused(flow);
  });

  it('over', async () => {
    const flow = writeFlow(
      `${PROMPT_TASK}\n      repeat_prompt: true\n      over: "${ESCAPE}"\n      user_prompt: "{{ result }}"`,
    );
    await expectRefused(flow);
    expect(server.requests).toEqual([]);
  });

  it('task env', async () => {
    const flow = writeFlow(
      ['  - task:', '      name: probe', '      env:', `        X: "{{ ${ESCAPE} }}"`].join('\n') +
        '\n      run: echo "$X"',
    );
    await expectRefused(flow);
  });

  it('toolbox args', async () => {
    writeToolbox(`, "{{ ${ESCAPE} }}"`, '');
    writeFlow(`${PROMPT_TASK}\n      toolboxes: [toolboxes.probe]\n      user_prompt: Hi`);
    await expectRefused(/toolbox "toolboxes\.probe" server_params\.args\[1\]: /);
    expect(server.requests).toEqual([]);
  });

  it('toolbox env (refused, not left out as an unset value would be)', async () => {
    writeToolbox('', `, X: "{{ ${ESCAPE} }}"`);
    writeFlow(`${PROMPT_TASK}\n      toolboxes: [toolboxes.probe]\n      user_prompt: Hi`);
    await expectRefused(/toolbox "toolboxes\.probe" server_params\.env\.X: /);
    expect(server.requests).toEqual([]);
  });

  it('a toolbox that spells the escape out is refused at load time', async () => {
    writeToolbox(', "{{ \'x\'.constructor.constructor(globals.js)() }}"', '');
    writeFlow(`${PROMPT_TASK}\n      toolboxes: [toolboxes.probe]\n      user_prompt: Hi`);
    // Load errors name files relative to the working directory.
    expect(await expectRefused('toolboxes/probe.yaml')).toBe(2);
    expect(server.requests).toEqual([]);
  });

  it('an included prompt file', async () => {
    const prompt = writeFile(
      'prompts/shared.yaml',
      [
        'seclab-taskflow-agent:',
        '  version: "1.0"',
        '  filetype: prompt',
        '',
        'prompt: |',
        '  Shared text.',
        `  {{ ${ESCAPE} }}`,
        '',
      ].join('\n'),
    );
    writeFlow(`${PROMPT_TASK}\n      user_prompt: "Hi {% include 'prompts.shared' %}"`);
    await expectRefused(prompt);
    expect(server.requests).toEqual([]);
  });
});
