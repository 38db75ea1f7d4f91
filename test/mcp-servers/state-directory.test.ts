import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveStateDirectory, userDataDirectory } from '../../src/mcp-servers/state-directory.js';

describe('resolveStateDirectory', () => {
  it('takes a set override, resolved against the working directory', () => {
    expect(resolveStateDirectory('example_taskflow/', 'memcache', {})).toBe(
      resolve('example_taskflow'),
    );
  });

  it("defaults to the session's state folder that the runner passes: <state>/<server>", () => {
    const environment = { HOME: '/home/ada', TASKFLOW_SESSION_STATE_DIR: '/s/0123456789ab/state' };
    for (const override of [undefined, '', '  ']) {
      expect(resolveStateDirectory(override, 'memcache', environment, 'linux')).toBe(
        join('/s/0123456789ab/state', 'memcache'),
      );
    }
    // A set override still wins.
    expect(resolveStateDirectory('/mine', 'memcache', environment, 'linux')).toBe(resolve('/mine'));
  });

  it('falls back to <user data>/taskflow/<server> outside a session (unset or blank)', () => {
    expect(
      resolveStateDirectory(undefined, 'logbook', { HOME: '/h', TASKFLOW_SESSION_STATE_DIR: ' ' }),
    ).toBe(join(userDataDirectory({ HOME: '/h' }), 'logbook'));
  });

  it('falls back to <user data>/taskflow/<server> when the override is unset or blank', () => {
    const environment = { HOME: '/home/ada' };
    for (const override of [undefined, '', '  ']) {
      expect(resolveStateDirectory(override, 'logbook', environment, 'linux')).toBe(
        join('/home/ada/.local/share/taskflow', 'logbook'),
      );
    }
  });
});

describe('userDataDirectory', () => {
  it('follows XDG on Linux, ignoring a relative XDG_DATA_HOME', () => {
    expect(userDataDirectory({ HOME: '/h', XDG_DATA_HOME: '/data' }, 'linux')).toBe(
      join('/data', 'taskflow'),
    );
    expect(userDataDirectory({ HOME: '/h', XDG_DATA_HOME: 'relative' }, 'linux')).toBe(
      join('/h', '.local', 'share', 'taskflow'),
    );
  });

  it('uses Application Support on macOS and LOCALAPPDATA on Windows', () => {
    expect(userDataDirectory({ HOME: '/Users/ada' }, 'darwin')).toBe(
      join('/Users/ada', 'Library', 'Application Support', 'taskflow'),
    );
    expect(userDataDirectory({ HOME: 'C:/Users/ada', LOCALAPPDATA: 'C:/Local' }, 'win32')).toBe(
      join('C:/Local', 'taskflow', 'Data'),
    );
    expect(userDataDirectory({ HOME: 'C:/Users/ada' }, 'win32')).toBe(
      join('C:/Users/ada', 'AppData', 'Local', 'taskflow', 'Data'),
    );
  });
});
