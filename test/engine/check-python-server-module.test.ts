import { describe, expect, it } from 'vitest';
import { pythonServerModuleOf } from '../../src/engine/check-python-server-module.js';
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
