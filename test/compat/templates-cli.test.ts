import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  lastUserText,
  startFakeModelServer,
  type FakeModelServer,
} from '../fakes/fake-model-server.js';
import { makeSandbox } from '../e2e/cli-harness.js';
import { contractEvents, ofType, runTaskflow } from '../e2e/run-kit.js';

/**
 * Templates end to end: the built CLI runs a seclab taskflow whose prompts use the Jinja2
 * constructs seclab's docs and packs use, against the fake model; each prompt the model
 * receives is exactly what seclab renders for it. The expected prompts were rendered by
 * seclab's Jinja2 Environment (template_utils: trim_blocks, lstrip_blocks, StrictUndefined,
 * Jinja2 3.1.6) from the same files, with `result` each item of the shell task's JSON list.
 */

const FLOW = `seclab-taskflow-agent:
  version: "1.0"
  filetype: taskflow

globals:
  repo: octo/demo
  mode: normal
  config:
    depth: 2
    strict: true
    ratio: 0.25
    tags: [web, "it's"]
    owner: null
  none: keyword-named

taskflow:
  - task:
      name: list functions
      run: |
        echo '[{"name": "parse", "line": 10}, {"name": "load", "line": 22}]'
  - task:
      name: review each
      repeat_prompt: true
      agents:
        - seclab_taskflow_agent.personalities.assistant
      user_prompt: |
        {# one prompt per function #}
        Function {{ result.name | upper }} at line {{ result.line }}: {{ result }}
        Owner {{ globals.repo.split('/')[0] }}, name {{ globals.repo[globals.repo.find('/') + 1:] }}, mode {{ globals.mode }}
          {% for key, value in globals.config.items() %}
        - {{ key }} = {{ value }}
          {% endfor %}
        Depth {{ globals.config.get('depth') }}, missing {{ globals.config.get('missing', 'n/a') }}, {{ globals.none }}.
        {{ "%s has %d tags" | format(globals.repo, globals.config.tags | length) }}: {{ globals.config.tags | map('upper') | join(', ') }}
        JSON: {{ globals.config | tojson }}
        {% include 'prompts.rules' %}
`;

const RULES = `seclab-taskflow-agent:
  version: "1.0"
  filetype: prompt

prompt: |
  Report in {{ "{:>8}".format(globals.mode.title()) }} style; tags {{ globals.config.tags[::-1] }}.
`;

/** What seclab sends for the item `{name, line}` (rendered by its Environment, see above). */
function seclabPrompt(name: string, line: number): string {
  return [
    `Function ${name.toUpperCase()} at line ${line}: {'name': '${name}', 'line': ${line}}`,
    'Owner octo, name demo, mode quick',
    '- depth = 2',
    '- strict = True',
    '- ratio = 0.25',
    `- tags = ['web', "it's"]`,
    '- owner = None',
    'Depth 2, missing n/a, keyword-named.',
    "octo/demo has 2 tags: WEB, IT'S",
    'JSON: {"depth": 2, "owner": null, "ratio": 0.25, "strict": true, "tags": ["web", "it\\u0027s"]}',
    `Report in    Quick style; tags ["it's", 'web'].`,
  ].join('\n');
}

let server: FakeModelServer;
let sandbox: string;
let workspace: string;

beforeEach(async () => {
  server = await startFakeModelServer();
  server.setHandler(() => ({ kind: 'message', text: 'Reviewed.' }));
  sandbox = makeSandbox();
  workspace = path.join(sandbox, 'workspace');
  fs.mkdirSync(path.join(workspace, 'prompts'), { recursive: true });
  fs.writeFileSync(path.join(workspace, 'flow.yaml'), FLOW);
  fs.writeFileSync(path.join(workspace, 'prompts', 'rules.yaml'), RULES);
});
afterEach(async () => {
  await server.close();
  fs.rmSync(sandbox, { recursive: true, force: true });
});

describe('taskflow run renders prompts as seclab does', () => {
  it('sends the model exactly the prompt seclab renders for each item', async () => {
    const result = await runTaskflow(
      server,
      sandbox,
      ['flow.yaml', '-g', 'mode=quick', '--output', 'jsonl'],
      { cwd: workspace },
    );
    expect(result.code, result.stderr).toBe(0);
    const events = contractEvents(result.stdout);
    expect(ofType(events, 'taskflow-end')[0]).toMatchObject({ status: 'succeeded' });
    expect(server.requests.map((request) => lastUserText(request))).toEqual([
      seclabPrompt('parse', 10),
      seclabPrompt('load', 22),
    ]);
  });

  it('fails the task with a positioned error for a method the value does not have', async () => {
    fs.writeFileSync(
      path.join(workspace, 'flow.yaml'),
      FLOW.replace("globals.repo.split('/')[0]", 'globals.repo.shout()'),
    );
    const result = await runTaskflow(server, sandbox, ['flow.yaml', '--output', 'plain'], {
      cwd: workspace,
    });
    expect(result.code).toBe(1);
    const output = result.stdout + result.stderr;
    expect(output).toContain(
      `${path.join(workspace, 'flow.yaml')}:29:31 user_prompt: globals.repo (str) has no method "shout"`,
    );
    expect(output).not.toMatch(/\n\s+at /);
    expect(server.requests).toEqual([]);
  });
});
