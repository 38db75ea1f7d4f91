import { describe, expect, it } from 'vitest';
import { buildServerEnvironment } from '../../src/toolbox/build-server-environment.js';

const taskEnvironment = {
  PATH: '/usr/bin',
  HOME: '/home/me',
  USER: 'me',
  LANG: 'C.UTF-8',
  TERM: 'xterm',
  SHELL: '/bin/sh',
  TMPDIR: '/tmp',
  LOGNAME: 'me',
  https_proxy: 'http://proxy:3128',
  NO_PROXY: 'localhost',
  GH_TOKEN: 'secret',
  OPENAI_API_KEY: 'secret',
  UNSET: undefined,
};

describe('buildServerEnvironment', () => {
  it('keeps only the safe set from the task environment', () => {
    expect(buildServerEnvironment(taskEnvironment, {}, [], 'linux')).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/me',
      USER: 'me',
      LANG: 'C.UTF-8',
      TERM: 'xterm',
      SHELL: '/bin/sh',
      TMPDIR: '/tmp',
      LOGNAME: 'me',
      https_proxy: 'http://proxy:3128',
      NO_PROXY: 'localhost',
    });
  });

  it('puts the toolbox env on top, then removes denylisted names from both', () => {
    const environment = buildServerEnvironment(
      taskEnvironment,
      { GH_TOKEN: 'for-this-server', HOME: '/srv', LEAKY: 'x' },
      ['LEAKY', ' SHELL ', ''],
      'linux',
    );
    expect(environment.GH_TOKEN).toBe('for-this-server');
    expect(environment.HOME).toBe('/srv');
    expect(environment).not.toHaveProperty('LEAKY');
    expect(environment).not.toHaveProperty('SHELL');
    expect(environment).not.toHaveProperty('OPENAI_API_KEY');
  });

  it('compares names case-sensitively on POSIX', () => {
    const environment = buildServerEnvironment({ Path: '/x', path: '/y' }, {}, ['home'], 'linux');
    expect(environment).toEqual({});
    expect(buildServerEnvironment({ HOME: '/h' }, {}, ['home'], 'linux')).toEqual({ HOME: '/h' });
  });

  it('compares names case-insensitively on win32 and adds SystemRoot/COMSPEC', () => {
    const environment = buildServerEnvironment(
      { Path: 'C:\\bin', SystemRoot: 'C:\\Windows', ComSpec: 'cmd.exe', APPDATA: 'x' },
      { PATH: 'D:\\bin', Secret: 's' },
      ['SECRET'],
      'win32',
    );
    expect(environment).toEqual({ PATH: 'D:\\bin', SystemRoot: 'C:\\Windows', ComSpec: 'cmd.exe' });
  });

  it('does not modify its inputs', () => {
    const task = { PATH: '/bin', KEY: 'k' };
    const toolbox = { A: 'a' };
    buildServerEnvironment(task, toolbox, ['A'], 'linux');
    expect(task).toEqual({ PATH: '/bin', KEY: 'k' });
    expect(toolbox).toEqual({ A: 'a' });
  });
});
