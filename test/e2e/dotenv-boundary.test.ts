import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSandbox, runCli } from './cli-harness.js';

/**
 * Issue 11 point 8: `.env` is looked for from the working directory up to the repository
 * root (a folder with `.git`) or the home folder, whichever is nearer — a `.env` above
 * them is never read — and `--debug` names the file it loaded, never a value.
 */

let sandbox: string;
beforeEach(() => {
  sandbox = fs.realpathSync(makeSandbox());
});
afterEach(() => {
  fs.rmSync(sandbox, { recursive: true, force: true });
});

const SECRET = 'dotenv-secret-value-93c1';

/** A taskflow found only through TASKFLOW_PATH=<sandbox>/flows. */
function writeFlows(): string {
  const flows = path.join(sandbox, 'flows');
  fs.mkdirSync(path.join(flows, 'extra', 'taskflows'), { recursive: true });
  fs.writeFileSync(
    path.join(flows, 'extra', 'taskflows', 'probe.yaml'),
    'seclab-taskflow-agent:\n  version: "1.0"\n  filetype: taskflow\ntaskflow:\n  - task:\n      run: echo hi\n',
  );
  return flows;
}

function writeDotEnv(folder: string, flows: string): string {
  fs.mkdirSync(folder, { recursive: true });
  const file = path.join(folder, '.env');
  fs.writeFileSync(file, `TASKFLOW_PATH=${flows}\nSOME_API_TOKEN=${SECRET}\n`);
  return file;
}

describe('.env lookup', () => {
  it('does not read a .env above the repository root; reads the one at the root', async () => {
    const flows = writeFlows();
    const outer = path.join(sandbox, 'outer');
    const repo = path.join(outer, 'repo');
    const cwd = path.join(repo, 'sub', 'dir');
    fs.mkdirSync(path.join(repo, '.git'), { recursive: true });
    fs.mkdirSync(cwd, { recursive: true });
    writeDotEnv(outer, flows);

    const above = await runCli(['--debug', 'validate', 'extra.taskflows.probe'], sandbox, { cwd });
    expect(above.code, above.stderr).toBe(2);
    expect(above.stderr).toContain(`no .env file in ${cwd} or its parents up to ${repo}`);
    expect(above.stderr).not.toContain(path.join(outer, '.env'));

    const atRoot = writeDotEnv(repo, flows);
    const loaded = await runCli(['--debug', 'validate', 'extra.taskflows.probe'], sandbox, { cwd });
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(loaded.stderr).toMatch(new RegExp(`Z debug \\.env loaded from ${atRoot}\\n`));
    expect(loaded.stdout + loaded.stderr).not.toContain(SECRET);
  });

  it('does not read a .env above the home folder', async () => {
    const flows = writeFlows();
    const home = path.join(sandbox, 'home');
    const cwd = path.join(home, 'projects', 'loose');
    fs.mkdirSync(cwd, { recursive: true });
    writeDotEnv(sandbox, flows);
    const env = { HOME: home };

    const above = await runCli(['validate', 'extra.taskflows.probe'], sandbox, { cwd, env });
    expect(above.code, above.stderr).toBe(2);

    const atHome = writeDotEnv(home, flows);
    const loaded = await runCli(['validate', 'extra.taskflows.probe', '--debug'], sandbox, {
      cwd,
      env,
    });
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(loaded.stderr).toContain(`.env loaded from ${atHome}`);
  });
});
