import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkPythonServerModule,
  pythonServerModuleOf,
  type PythonModuleChecks,
} from '../../src/engine/check-python-server-module.js';
import type { ResolvedToolbox } from '../../src/toolbox/types.js';

function launched(command: string, args: string[]): ResolvedToolbox {
  return {
    name: 'probe',
    kind: 'stdio',
    command,
    args,
    env: {},
    headers: {},
    timeoutMs: 60_000,
    connectTimeoutMs: 30_000,
    confirm: [],
  };
}

const CODEQL = 'seclab_taskflow_agent.mcp_servers.codeql.mcp_server';

describe('pythonServerModuleOf', () => {
  it.each([
    ['python', ['-m', CODEQL]],
    ['python3', ['-m', CODEQL]],
    ['/usr/bin/python3.12', ['-u', '-X', 'dev', '-m', CODEQL, '--verbose']],
    ['python.exe', [`-m${CODEQL}`]],
  ])('%s %j needs seclab-taskflow-agent', (command, args) => {
    expect(pythonServerModuleOf(launched(command, args))).toEqual({
      module: CODEQL,
      pipPackage: 'seclab-taskflow-agent',
    });
  });

  it('knows the seclab-taskflows pack', () => {
    expect(
      pythonServerModuleOf(
        launched('python', ['-m', 'seclab_taskflows.mcp_servers.finding_ledger']),
      ),
    ).toEqual({
      module: 'seclab_taskflows.mcp_servers.finding_ledger',
      pipPackage: 'seclab-taskflows',
    });
  });

  it.each([
    ['node', ['-m', CODEQL]],
    ['python3', ['server.py', '-m', CODEQL]],
    ['python3', ['-c', 'print(1)', '-m', CODEQL]],
    ['python3', ['-m', 'my_servers.codeql']],
    ['pythonista', ['-m', CODEQL]],
  ])('%s %j is not checked', (command, args) => {
    expect(pythonServerModuleOf(launched(command, args))).toBeUndefined();
  });
});

describe("checkPythonServerModule with the run's checks", () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'python-check-'));
  afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

  /** A `python3` that logs each call to `calls.log` and exits with `status`. */
  function fakePython(name: string, status: number): { command: string; calls: () => number } {
    const bin = path.join(folder, name);
    const log = path.join(bin, 'calls.log');
    fs.mkdirSync(bin);
    const command = path.join(bin, 'python3');
    fs.writeFileSync(command, `#!/bin/sh\necho call >> '${log}'\nexit ${status}\n`, {
      mode: 0o755,
    });
    const calls = () =>
      fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').length - 1 : 0;
    return { command, calls };
  }

  it('runs the interpreter once per interpreter, module, folder and environment', async () => {
    const python = fakePython('found', 0);
    const checked: PythonModuleChecks = new Map();
    const toolbox = { ...launched(python.command, ['-m', CODEQL]), env: { A: '1', B: '2' } };
    await checkPythonServerModule(toolbox, { checked });
    await checkPythonServerModule(
      { ...toolbox, name: 'again', env: { B: '2', A: '1' } },
      { checked },
    );
    expect(python.calls()).toBe(1);
    await checkPythonServerModule({ ...toolbox, env: { A: '3', B: '2' } }, { checked });
    await checkPythonServerModule({ ...toolbox, cwd: folder }, { checked });
    expect(python.calls()).toBe(3);
    await checkPythonServerModule(toolbox);
    expect(python.calls()).toBe(4);
  });

  it('a missing module fails every start, checked once', async () => {
    const python = fakePython('missing', 3);
    const checked: PythonModuleChecks = new Map();
    const toolbox = launched(python.command, ['-m', CODEQL]);
    for (const name of ['first', 'second']) {
      await expect(checkPythonServerModule({ ...toolbox, name }, { checked })).rejects.toThrow(
        `toolbox "${name}" failed to start: ${python.command} cannot import ${CODEQL}`,
      );
    }
    expect(python.calls()).toBe(1);
  });

  it('an inconclusive outcome is checked again', async () => {
    const python = fakePython('inconclusive', 1);
    const checked: PythonModuleChecks = new Map();
    const toolbox = launched(python.command, ['-m', CODEQL]);
    await checkPythonServerModule(toolbox, { checked });
    await checkPythonServerModule(toolbox, { checked });
    expect(python.calls()).toBe(2);
  });
});
