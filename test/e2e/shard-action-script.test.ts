import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CLI, cliEnvironment, REPO_ROOT } from './cli-harness.js';
import { logLines, noteFlow, noteModel } from './shard-kit.js';
import { modelRequests, useSessionsWorkspace, writeFlow } from './sessions-kit.js';

/**
 * The action's "Run taskflow" step, run by bash as a runner runs it, with the artifact
 * steps played by folder copies: plan job, two shard jobs, a re-run of a shard job, and the
 * merge job that merges and resumes to the end.
 */

const workspace = useSessionsWorkspace({ handler: noteModel });

interface Step {
  id?: string;
  run?: string;
}
const action = parse(fs.readFileSync(path.join(REPO_ROOT, 'action.yml'), 'utf8')) as {
  runs: { steps: Step[] };
};
const runStep = action.runs.steps.find((step) => step.id === 'run')?.run ?? '';

/** The inputs of the step (its `env:`), as the runner sets them from the action inputs. */
interface StepInputs {
  sessions: string;
  taskflow?: string;
  untilFanout?: boolean;
  session?: string;
  shard?: string;
  merge?: string;
  shardCopies?: string;
}

/** Runs the step with bash (`-eo pipefail`, as GitHub does); returns its GITHUB_OUTPUT. */
async function runStepWith(inputs: StepInputs): Promise<Record<string, string>> {
  const { server, sandbox, work } = workspace;
  const script = path.join(sandbox, 'step.sh');
  const outputs = path.join(sandbox, `outputs-${Date.now()}-${Math.random()}.txt`);
  fs.writeFileSync(script, runStep);
  fs.writeFileSync(outputs, '');
  const env = cliEnvironment(sandbox, {
    AI_API_ENDPOINT: server.url,
    TASKFLOW_DEFAULT_MODEL: 'fake-model',
    PARKED_LOG: path.join(sandbox, 'notes.log'),
    PARKED_FLAG: path.join(sandbox, 'no-flag'),
    GITHUB_OUTPUT: outputs,
    TASKFLOW_BIN: CLI,
    TASKFLOW_SESSION_DIR: inputs.sessions,
    SHARD_COPIES: inputs.shardCopies ?? path.join(sandbox, 'no-copies'),
    TASKFLOW: inputs.taskflow ?? '',
    GLOBALS: '',
    OUTPUT: 'plain',
    UNTIL_FANOUT: inputs.untilFanout ? 'true' : 'false',
    SESSION: inputs.session ?? '',
    SHARD: inputs.shard ?? '',
    MERGE: inputs.merge ?? '',
    TOKEN: 'test-token-action',
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
      cwd: work,
      env,
      stdio: 'ignore',
    });
    child.once('error', reject);
    child.once('close', resolve);
  });
  expect(code).toBe(0);
  return Object.fromEntries(
    fs
      .readFileSync(outputs, 'utf8')
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe('the action run step', { timeout: 120_000 }, () => {
  it('plans, shards (re-run included) and merges to the end', async () => {
    const { server, sandbox, work } = workspace;
    writeFlow(work, 'flow', noteFlow(4));
    const folder = (name: string) => path.join(sandbox, name);
    const download = (from: string, to: string) => fs.cpSync(from, to, { recursive: true });

    const plan = await runStepWith({
      sessions: folder('plan'),
      taskflow: 'flow.yaml',
      untilFanout: true,
    });
    expect(plan).toMatchObject({ status: 'planned', 'exit-code': '0' });
    const session = plan['session-id'] ?? '';
    expect(session).toMatch(/^[0-9a-f]{12}$/);

    for (const shard of [1, 2]) {
      download(folder('plan'), folder(`shard-${shard}`));
      const ran = await runStepWith({
        sessions: folder(`shard-${shard}`),
        session,
        shard: `${shard}/2`,
      });
      expect(ran).toEqual({ 'session-id': session, status: 'sharded', 'exit-code': '0' });
    }
    // A re-run of shard 2 finds its own session (its artifact) and redoes nothing.
    const before = modelRequests(server).length;
    const rerun = await runStepWith({ sessions: folder('shard-2'), session, shard: '2/2' });
    expect(rerun).toMatchObject({ status: 'sharded', 'exit-code': '0' });
    expect(modelRequests(server).length).toBe(before);

    download(folder('plan'), folder('final'));
    for (const shard of [1, 2]) {
      download(folder(`shard-${shard}`), path.join(folder('copies'), `taskflow-shard-${shard}`));
    }
    const final = await runStepWith({
      sessions: folder('final'),
      session,
      merge: 'taskflow-shard-*',
      shardCopies: folder('copies'),
    });
    expect(final).toEqual({ 'session-id': session, status: 'succeeded', 'exit-code': '0' });
    expect(modelRequests(server).length).toBe(before + 1);
    expect(logLines(path.join(sandbox, 'notes.log'))).toHaveLength(4);
  });
});
