import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDotEnv, isTruthyFlag, loadEnvironment } from '../../src/cli/environment.js';

let base: string;

beforeAll(() => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-env-')));
  fs.mkdirSync(path.join(base, 'project/sub/deeper'), { recursive: true });
  fs.mkdirSync(path.join(base, 'project/other'), { recursive: true });
  fs.writeFileSync(
    path.join(base, 'project/.env'),
    [
      '# comment',
      'AI_API_TOKEN=from-file',
      'TASKFLOW_ENV_TEST_ONLY_IN_FILE="quoted value"',
      'TASKFLOW_PATH=/from/file',
      '',
    ].join('\n'),
  );
  fs.writeFileSync(path.join(base, 'project/other/.env'), 'NEAREST=yes\n');
});

afterAll(() => {
  fs.rmSync(base, { recursive: true, force: true });
});

describe('findDotEnv', () => {
  it('finds .env in the directory itself or the nearest parent', () => {
    expect(findDotEnv(path.join(base, 'project'))).toBe(path.join(base, 'project/.env'));
    expect(findDotEnv(path.join(base, 'project/sub/deeper'))).toBe(path.join(base, 'project/.env'));
    expect(findDotEnv(path.join(base, 'project/other'))).toBe(
      path.join(base, 'project/other/.env'),
    );
  });

  it('ignores a folder named .env', () => {
    fs.mkdirSync(path.join(base, 'project/sub/.env'));
    expect(findDotEnv(path.join(base, 'project/sub/deeper'))).toBe(path.join(base, 'project/.env'));
  });
});

describe('loadEnvironment', () => {
  it('layers the .env of a parent folder under the process environment', () => {
    const environment = loadEnvironment(path.join(base, 'project/sub/deeper'), {
      AI_API_TOKEN: 'from-process',
      HOME: '/home/someone',
    });
    expect(environment).toEqual({
      AI_API_TOKEN: 'from-process',
      TASKFLOW_ENV_TEST_ONLY_IN_FILE: 'quoted value',
      TASKFLOW_PATH: '/from/file',
      HOME: '/home/someone',
    });
  });

  it('lets a process variable win even when it is empty', () => {
    expect(loadEnvironment(path.join(base, 'project'), { TASKFLOW_PATH: '' }).TASKFLOW_PATH).toBe(
      '',
    );
  });

  it('uses the nearest .env only', () => {
    const environment = loadEnvironment(path.join(base, 'project/other'), {});
    expect(environment).toEqual({ NEAREST: 'yes' });
  });

  it('never writes process.env and returns a frozen copy', () => {
    const before = { ...process.env };
    const given = { PATH: '/bin' };
    const environment = loadEnvironment(path.join(base, 'project'), given);
    expect(process.env).toEqual(before);
    expect(process.env.TASKFLOW_ENV_TEST_ONLY_IN_FILE).toBeUndefined();
    expect(given).toEqual({ PATH: '/bin' });
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
