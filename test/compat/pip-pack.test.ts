import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  lastUserText,
  startFakeModelServer,
  toolResultsOf,
  type FakeModelServer,
  type FakeReply,
  type RecordedRequest,
} from '../fakes/fake-model-server.js';
import { makeSandbox, runCli, type CliOptions } from '../e2e/cli-harness.js';
import { contractEvents, ofType, runTaskflow } from '../e2e/run-kit.js';

/**
 * issue 9 scope 8 / acceptance 4: a taskflow pack installed with pip resolves by dotted
 * name without TASKFLOW_PATH, as seclab-taskflow-agent resolves it through Python's import
 * system (`importlib.resources.files("mypack.taskflows")` / "flow.yaml"). The test lays
 * out what pip leaves in a site-packages folder (package folders, a dist-info, a `.pth`
 * of an editable install) and runs the BUILT CLI against the fake model.
 */

let server: FakeModelServer;
let sandbox: string;
/** An empty working directory, so nothing resolves from it. */
let project: string;
/** A `python3` first on PATH that logs each start to this file before doing its job. */
let spawnLog: string;

const HEADER = (filetype: string) =>
  `seclab-taskflow-agent:\n  version: "1.0"\n  filetype: ${filetype}\n`;

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

/** What `pip install mypack` leaves in `site`: a regular package whose data folders have no
 *  __init__.py (namespace subpackages, like seclab's tests/data), plus a dist-info. */
function installPack(site: string): void {
  write(path.join(site, 'mypack/__init__.py'), '');
  write(
    path.join(site, 'mypack-0.1.0.dist-info/METADATA'),
    'Metadata-Version: 2.1\nName: mypack\nVersion: 0.1.0\n',
  );
  write(
    path.join(site, 'mypack/taskflows/flow.yaml'),
    `${HEADER('taskflow')}
taskflow:
  - task:
      name: pack-echo
      agents:
        - mypack.personalities.echoer
      user_prompt: |
        {% include 'mypack.prompts.ask_echo' %}
`,
  );
  write(
    path.join(site, 'mypack/personalities/echoer.yaml'),
    `${HEADER('personality')}
personality: You are the echoer of mypack.
task: Repeat text with the echo tool.
toolboxes:
  - taskflow.toolboxes.echo
`,
  );
  write(
    path.join(site, 'mypack/prompts/ask_echo.yaml'),
    `${HEADER('prompt')}
prompt: |
  Use the echo tool to echo the message "hello from mypack".
`,
  );
}

/** An editable install (`pip install -e`, hatchling/src layout): a `.pth` naming the
 *  project's src folder, where the package lives. */
function installEditablePack(site: string): void {
  const source = path.join(sandbox, 'dev/editpack/src');
  write(path.join(site, '_editpack.pth'), `${source}\n`);
  write(
    path.join(source, 'editpack/taskflows/dev.yaml'),
    `${HEADER('taskflow')}
taskflow:
  - task:
      name: from-editable
      run: echo editable > '${path.join(sandbox, 'ran')}'
`,
  );
}

/** A `python3` script first on PATH: logs its start, then execs `target` (or fails). */
function pythonOnPath(target?: string): string {
  const bin = path.join(sandbox, 'bin');
  const script = target
    ? `#!/bin/sh\necho "$*" >> '${spawnLog}'\nexec '${target}' "$@"\n`
    : `#!/bin/sh\necho "$*" >> '${spawnLog}'\nexit 1\n`;
  write(path.join(bin, 'python3'), script);
  fs.chmodSync(path.join(bin, 'python3'), 0o755);
  return `${bin}${path.delimiter}${process.env.PATH ?? ''}`;
}

/** What the shell task of a test pack wrote, proving which file ran. */
function ranShellTask(): string {
  return fs.readFileSync(path.join(sandbox, 'ran'), 'utf8');
}

function spawnCount(): number {
  return fs.existsSync(spawnLog) ? fs.readFileSync(spawnLog, 'utf8').split('\n').length - 1 : 0;
}

function validate(reference: string, env: CliOptions['env']) {
  return runCli(['validate', reference], sandbox, { cwd: project, env });
}

/**
 * A model that does what the pack's prompt asks: echo the quoted message with the offered
 * tool that takes a `message` (whatever the echo server names it), then answer.
 */
function packModel(request: RecordedRequest): FakeReply {
  const tools = (request.body.tools ?? []) as {
    name?: string;
    parameters?: { properties?: Record<string, unknown> };
    function?: { name?: string; parameters?: { properties?: Record<string, unknown> } };
  }[];
  const echo = tools.find(
    (tool) => (tool.function?.parameters ?? tool.parameters)?.properties?.message !== undefined,
  );
  const message = /echo the message "([^"]*)"/.exec(lastUserText(request) ?? '')?.[1];
  if (toolResultsOf(request).length === 0 && echo && message !== undefined) {
    const name = echo.function?.name ?? echo.name ?? '';
    return { kind: 'message', toolCalls: [{ name, arguments: { message } }] };
  }
  return { kind: 'message', text: 'Done.' };
}

/** Run the pack's taskflow: the pack's prompt (included by dotted name), personality and
 *  the bundled toolbox it names all reach the model and the MCP server. */
async function expectPackRuns(env: CliOptions['env']): Promise<void> {
  server.setHandler(packModel);
  const result = await runTaskflow(
    server,
    sandbox,
    ['mypack.taskflows.flow', '--output', 'jsonl'],
    { cwd: project, env },
  );
  expect(result.code, result.stderr).toBe(0);
  const events = contractEvents(result.stdout);
  const calls = ofType(events, 'tool-call-start').map((event) => ({
    toolbox: event.toolbox,
    arguments: JSON.parse(String(event.arguments)) as unknown,
  }));
  expect(calls).toEqual([{ toolbox: 'echo', arguments: { message: 'hello from mypack' } }]);
  expect(JSON.stringify(server.requests[0]?.body)).toContain('You are the echoer of mypack.');
  expect(toolResultsOf(server.requests[1]!).map((result) => result.output)).toEqual([
    expect.stringContaining('hello from mypack'),
  ]);
}

beforeEach(async () => {
  server = await startFakeModelServer();
  sandbox = fs.realpathSync(makeSandbox());
  project = path.join(sandbox, 'project');
  fs.mkdirSync(project);
  spawnLog = path.join(sandbox, 'python3-starts.log');
});
afterEach(async () => {
  await server.close();
  fs.rmSync(sandbox, { recursive: true, force: true });
});

describe('a pack pip-installed in the active virtualenv (VIRTUAL_ENV)', () => {
  let env: CliOptions['env'];
  let site: string;

  beforeEach(() => {
    const venv = path.join(sandbox, 'venv');
    site = path.join(venv, 'lib/python3.12/site-packages');
    write(path.join(venv, 'pyvenv.cfg'), 'home = /usr/bin\ninclude-system-site-packages = false\n');
    installPack(site);
    installEditablePack(site);
    // a python3 that fails: the virtualenv is read without starting any interpreter
    env = { VIRTUAL_ENV: venv, PATH: pythonOnPath() };
  });

  it('validates and runs it by dotted name, without starting python', async () => {
    const validated = await validate('mypack.taskflows.flow', env);
    expect(validated.stderr).toBe('');
    expect(validated.code).toBe(0);
    expect(validated.stdout).toMatch(/^valid: mypack\.taskflows\.flow — 4 files checked\n$/);
    await expectPackRuns(env);
    expect(spawnCount()).toBe(0);
  });

  it('follows the .pth file of an editable install', async () => {
    const result = await runTaskflow(server, sandbox, ['editpack.taskflows.dev'], {
      cwd: project,
      env,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(ranShellTask()).toBe('editable\n');
  });

  it('names the site-packages candidate and the closest name for a typo', async () => {
    const result = await validate('mypack.taskflows.flwo', env);
    expect(result.code).toBe(2);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('unknown reference "mypack.taskflows.flwo"');
    expect(lines[0]).toContain('did you mean "mypack.taskflows.flow"?');
    expect(lines[0]).toContain(path.join(site, 'mypack/taskflows/flwo.yaml'));
  });

  it('lets the working directory shadow the installed pack', async () => {
    write(
      path.join(project, 'mypack/taskflows/flow.yaml'),
      `${HEADER('taskflow')}\ntaskflow:\n  - task:\n      run: echo local > '${path.join(sandbox, 'ran')}'\n`,
    );
    const result = await runTaskflow(server, sandbox, ['mypack.taskflows.flow'], {
      cwd: project,
      env,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(ranShellTask()).toBe('local\n');
    expect(server.requests).toHaveLength(0);
  });
});

describe('a pack pip-installed for the python3 on PATH (pip install --user)', () => {
  let env: CliOptions['env'];
  let userSite: string;

  beforeEach(() => {
    // The machine's real interpreter, asked as pip would be where `--user` installs go
    // when HOME is the sandbox (the CLI's HOME in these tests).
    const interpreter = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], {
      encoding: 'utf8',
    }).trim();
    const [enabled, site] = JSON.parse(
      execFileSync(
        interpreter,
        [
          '-c',
          'import json, site; print(json.dumps([site.ENABLE_USER_SITE, site.getusersitepackages()]))',
        ],
        { encoding: 'utf8', env: { ...process.env, HOME: sandbox, PYTHONUSERBASE: '' } },
      ),
    ) as [boolean, string];
    expect(enabled, 'python3 must have user site-packages enabled').toBe(true);
    userSite = site;
    expect(userSite.startsWith(sandbox)).toBe(true);
    installPack(userSite);
    installEditablePack(userSite);
    env = { PATH: pythonOnPath(interpreter), VIRTUAL_ENV: undefined };
  });

  it('starts no interpreter when the name resolves before site-packages', async () => {
    const result = await validate('taskflow.taskflows.echo', env);
    expect(result.code, result.stderr).toBe(0);
    write(
      path.join(project, 'local/flow.yaml'),
      `${HEADER('taskflow')}\ntaskflow:\n  - task:\n      run: echo local\n`,
    );
    expect((await validate('local.flow', env)).code).toBe(0);
    expect(spawnCount()).toBe(0);
  });

  it('validates by dotted name with one interpreter query for the whole pack', async () => {
    const result = await validate('mypack.taskflows.flow', env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(spawnCount()).toBe(1);
  });

  it('runs it against the fake model', async () => {
    await expectPackRuns(env);
  });

  it('follows the .pth file of an editable install (processed by Python)', async () => {
    const result = await validate('editpack.taskflows.dev', env);
    expect(result.code, result.stderr).toBe(0);
  });

  it('lists the user site-packages where it looked for an unknown name', async () => {
    const result = await validate('mypack.taskflows.missing', env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(path.join(userSite, 'mypack/taskflows/missing.yaml'));
  });
});
