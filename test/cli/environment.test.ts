import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  describeDotEnv,
  findDotEnv,
  isTruthyFlag,
  loadEnvironment,
} from '../../src/cli/environment.js';

let base: string;
/** A home folder with no repository above it. */
let home: string;

beforeAll(() => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-env-')));
  home = path.join(base, 'home');
  // base/home/project is a repository (its .git a folder); base/home/worktree one whose .git is a file.
  fs.mkdirSync(path.join(home, 'project/.git'), { recursive: true });
  fs.mkdirSync(path.join(home, 'project/sub/deeper'), { recursive: true });
  fs.mkdirSync(path.join(home, 'project/other'), { recursive: true });
  fs.mkdirSync(path.join(home, 'worktree/src'), { recursive: true });
  fs.writeFileSync(path.join(home, 'worktree/.git'), 'gitdir: /elsewhere\n');
  fs.mkdirSync(path.join(home, 'loose/deep'), { recursive: true });
  fs.mkdirSync(path.join(base, 'outside/deep'), { recursive: true });
  fs.writeFileSync(
    path.join(home, 'project/.env'),
    [
      '# comment',
      'AI_API_TOKEN=from-file',
      'TASKFLOW_ENV_TEST_ONLY_IN_FILE="quoted value"',
      'TASKFLOW_PATH=/from/file',
      '',
    ].join('\n'),
  );
  fs.writeFileSync(path.join(home, 'project/other/.env'), 'NEAREST=yes\n');
  fs.writeFileSync(path.join(home, '.env'), 'FROM_HOME=yes\n');
  fs.writeFileSync(path.join(base, '.env'), 'ABOVE_HOME=leaked\n');
});

afterAll(() => {
  fs.rmSync(base, { recursive: true, force: true });
});

describe('findDotEnv', () => {
  it('finds .env in the directory itself or the nearest parent within the repository', () => {
    expect(findDotEnv(path.join(home, 'project'), { home })).toBe(path.join(home, 'project/.env'));
    expect(findDotEnv(path.join(home, 'project/sub/deeper'), { home })).toBe(
      path.join(home, 'project/.env'),
    );
    expect(findDotEnv(path.join(home, 'project/other'), { home })).toBe(
      path.join(home, 'project/other/.env'),
    );
  });

  it('ignores a folder named .env', () => {
    fs.mkdirSync(path.join(home, 'project/sub/.env'));
    expect(findDotEnv(path.join(home, 'project/sub/deeper'), { home })).toBe(
      path.join(home, 'project/.env'),
    );
  });

  it('stops at the repository root: a .env above it (even in the home folder) is not read', () => {
    // worktree has no .env of its own; home/.env is above its root.
    expect(findDotEnv(path.join(home, 'worktree/src'), { home })).toBeUndefined();
    expect(findDotEnv(path.join(home, 'worktree'), { home })).toBeUndefined();
  });

  it('stops at the home folder when no repository is nearer', () => {
    expect(findDotEnv(path.join(home, 'loose/deep'), { home })).toBe(path.join(home, '.env'));
    expect(findDotEnv(home, { home })).toBe(path.join(home, '.env'));
  });

  it('outside both a repository and the home folder, reads the working directory only', () => {
    expect(findDotEnv(path.join(base, 'outside/deep'), { home })).toBeUndefined();
    expect(findDotEnv(base, { home })).toBe(path.join(base, '.env'));
  });

  it('knows the home folder when HOME names it through a symbolic link', () => {
    const realHome = path.join(base, 'real-home');
    fs.mkdirSync(path.join(realHome, 'a/b'), { recursive: true });
    fs.writeFileSync(path.join(realHome, 'a/.env'), 'X=1\n');
    fs.symlinkSync(realHome, path.join(base, 'home-link'));
    expect(findDotEnv(path.join(realHome, 'a/b'), { home: path.join(base, 'home-link') })).toBe(
      path.join(realHome, 'a/.env'),
    );
  });
});

describe('describeDotEnv', () => {
  it('names the file loaded, or where it looked; never a value', () => {
    const cwd = path.join(home, 'project/sub/deeper');
    const loaded = loadEnvironment(cwd, { HOME: home });
    expect(describeDotEnv(loaded, cwd, { HOME: home })).toBe(
      `.env loaded from ${path.join(home, 'project/.env')}`,
    );
    const worktree = path.join(home, 'worktree/src');
    expect(
      describeDotEnv(loadEnvironment(worktree, { HOME: home }), worktree, { HOME: home }),
    ).toBe(`no .env file in ${worktree} or its parents up to ${path.join(home, 'worktree')}`);
    const outside = path.join(base, 'outside/deep');
    expect(describeDotEnv(loadEnvironment(outside, { HOME: home }), outside, { HOME: home })).toBe(
      `no .env file in ${outside}`,
    );
  });
});

describe('loadEnvironment', () => {
  it('layers the .env of a parent folder under the process environment, naming the file', () => {
    const loaded = loadEnvironment(path.join(home, 'project/sub/deeper'), {
      AI_API_TOKEN: 'from-process',
      HOME: home,
    });
    expect(loaded.dotEnvFile).toBe(path.join(home, 'project/.env'));
    expect(loaded.environment).toEqual({
      AI_API_TOKEN: 'from-process',
      TASKFLOW_ENV_TEST_ONLY_IN_FILE: 'quoted value',
      TASKFLOW_PATH: '/from/file',
      HOME: home,
    });
  });

  it('takes the home boundary from HOME', () => {
    const loaded = loadEnvironment(path.join(home, 'loose/deep'), { HOME: home });
    expect(loaded).toEqual({
      environment: { FROM_HOME: 'yes', HOME: home },
      dotEnvFile: path.join(home, '.env'),
    });
    // With HOME one level up, base/.env is within the boundary.
    expect(loadEnvironment(path.join(base, 'outside/deep'), { HOME: base }).dotEnvFile).toBe(
      path.join(base, '.env'),
    );
  });

  it('reports no file when there is none within the boundary', () => {
    const loaded = loadEnvironment(path.join(home, 'worktree/src'), { HOME: home });
    expect(loaded).toEqual({ environment: { HOME: home } });
  });

  it('lets a process variable win even when it is empty', () => {
    expect(
      loadEnvironment(path.join(home, 'project'), { TASKFLOW_PATH: '', HOME: home }).environment
        .TASKFLOW_PATH,
    ).toBe('');
  });

  it('uses the nearest .env only', () => {
    const loaded = loadEnvironment(path.join(home, 'project/other'), { HOME: home });
    expect(loaded.environment).toEqual({ NEAREST: 'yes', HOME: home });
  });

  it('never writes process.env and returns a frozen copy', () => {
    const before = { ...process.env };
    const given = { PATH: '/bin', HOME: home };
    const { environment } = loadEnvironment(path.join(home, 'project'), given);
    expect(process.env).toEqual(before);
    expect(process.env.TASKFLOW_ENV_TEST_ONLY_IN_FILE).toBeUndefined();
    expect(given).toEqual({ PATH: '/bin', HOME: home });
    expect(Object.isFrozen(environment)).toBe(true);
  });
});

describe('isTruthyFlag', () => {
  it.each(['1', 'true', 'TRUE', 'True', 'yes', 'YES', ' yes ', 'on'])('%j is true', (value) => {
    expect(isTruthyFlag(value)).toBe(true);
  });

  it.each([undefined, '', '0', 'false', 'no', 'off', '2', 'yes please'])('%j is false', (value) => {
    expect(isTruthyFlag(value)).toBe(false);
  });
});
