import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSandbox, REPO_ROOT, runCli } from './cli-harness.js';

/**
 * Issue 11 point 10, with the built CLI: help names the environment, commander's usage
 * errors look like ours, -v/--version, --color/--no-color, generated shell completion.
 */

let sandbox: string;

beforeAll(() => {
  sandbox = makeSandbox();
});
afterAll(() => {
  fs.rmSync(sandbox, { recursive: true, force: true });
});

/** Every `.ts` file below `directory`. */
function sourceFiles(directory: string): string[] {
  return fs
    .readdirSync(directory, { recursive: true })
    .map(String)
    .filter((file) => file.endsWith('.ts'))
    .map((file) => path.join(directory, file));
}

/**
 * The environment variables taskflow's own code reads: `environment.NAME`,
 * `present(environment, 'NAME')`, `process.env.NAME` and taskflow-style names in quotes
 * (`'AI_API_TOKEN'`). The bundled MCP servers are left out: their variables come from
 * toolbox files, not from the runner's environment.
 */
function variablesReadBySource(): string[] {
  const names = new Set<string>();
  const patterns = [
    /\benvironment\??\.([A-Z][A-Z0-9_]*)\b/g,
    /\bpresent\(\s*[\w.]+,\s*'([A-Z][A-Z0-9_]*)'/g,
    /\bprocess\.env\.([A-Z][A-Z0-9_]*)\b/g,
    /'((?:AI_API|COPILOT|TASKFLOW|TASK_AGENT|MODEL|GITHUB|AWF)_[A-Z0-9_]+)'/g,
  ];
  const sources = sourceFiles(path.join(REPO_ROOT, 'src')).filter(
    (file) => !file.includes(`${path.sep}mcp-servers${path.sep}`),
  );
  for (const file of sources) {
    const text = fs.readFileSync(file, 'utf8');
    for (const pattern of patterns) {
      for (const match of text.matchAll(pattern)) names.add(match[1] as string);
    }
  }
  // PATH: only to say where a shell task's missing command was looked for.
  names.delete('PATH');
  return [...names].sort();
}

describe('--help of the commands that run agents', () => {
  it.each(['run', 'resume', 'ask'])(
    '%s --help names the output default and the environment variables',
    async (command) => {
      const result = await runCli([command, '--help'], sandbox);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/--output <mode> +tty \| plain \| jsonl \(default: tty on a/);
      expect(result.stdout).toContain(
        'Output (--output): tty on a terminal outside CI, else plain',
      );
      expect(result.stdout).toMatch(/^Environment:$/m);
      for (const name of [
        'AI_API_TOKEN',
        'AI_API_ENDPOINT',
        'TASKFLOW_DEFAULT_MODEL',
        'NO_COLOR',
      ]) {
        expect(result.stdout).toContain(name);
      }
    },
  );

  it('together list every variable the source reads (scanned, so new ones must be added)', async () => {
    const variables = variablesReadBySource();
    // The scan itself works: it finds variables read in several ways.
    expect(variables).toEqual(
      expect.arrayContaining(['AI_API_TOKEN', 'COPILOT_TOKEN', 'TASK_AGENT_DEBUG', 'CI']),
    );
    const help = (
      await Promise.all(
        ['run', 'resume', 'ask'].map((command) => runCli([command, '--help'], sandbox)),
      )
    )
      .map((result) => result.stdout)
      .join('\n');
    expect(variables.filter((name) => !new RegExp(`\\b${name}\\b`).test(help))).toEqual([]);
  });

  it('does not list the session variables for ask, which keeps no session', async () => {
    const result = await runCli(['ask', '--help'], sandbox);
    expect(result.stdout).not.toContain('TASKFLOW_SESSION_DIR');
    expect(result.stdout).not.toContain('GITHUB_STEP_SUMMARY');
  });
});

describe('usage errors from commander', () => {
  it.each([
    [['run', '--bogus', 'x'], `taskflow: unknown option '--bogus'; see "taskflow run --help"`],
    [['run'], `taskflow: missing required argument 'taskflow'; see "taskflow run --help"`],
    [['frobnicate'], `taskflow: unknown command 'frobnicate'; see "taskflow --help"`],
    [
      ['sessions', 'show'],
      `taskflow: missing required argument 'session-id'; see "taskflow sessions show --help"`,
    ],
    [
      ['run', 'x', '--outptu', 'plain'],
      `taskflow: unknown option '--outptu' (Did you mean --output?); see "taskflow run --help"`,
    ],
    [
      ['ask', 'p', 'hi', '--max-steps', 'zero'],
      `taskflow: option '--max-steps <n>' argument 'zero' is invalid. expected a whole number >= 1; see "taskflow ask --help"`,
    ],
    [
      ['completion', 'ksh'],
      `taskflow: command-argument value 'ksh' is invalid for argument 'shell'. Allowed choices are bash, zsh, fish; see "taskflow completion --help"`,
    ],
  ])('%j: exit 2, one line in the taskflow: style, nothing on stdout', async (args, line) => {
    const result = await runCli(args, sandbox);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`${line}\n`);
  });
});

describe('version', () => {
  const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  it.each([['-v'], ['--version'], ['-V']])('%s prints the package version', async (flag) => {
    const result = await runCli([flag], sandbox);
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('lists -v, --version, --color and --no-color in --help', async () => {
    const result = await runCli(['--help'], sandbox);
    expect(result.stdout).toMatch(/^ {2}-v, --version /m);
    expect(result.stdout).toMatch(/^ {2}--color /m);
    expect(result.stdout).toMatch(/^ {2}--no-color /m);
  });
});

describe('colour: --color / --no-color / NO_COLOR / FORCE_COLOR', () => {
  const cassette = path.join(REPO_ROOT, 'examples/cassettes/echo.jsonl');
  const ESCAPE = '\u001b[';

  /** The echo example replayed in tty mode with stdout a pipe (so colour is off by default). */
  async function ttyRun(
    flags: string[],
    environment: Record<string, string | undefined>,
    programFlags: string[] = [],
  ) {
    const result = await runCli(
      [
        ...programFlags,
        'run',
        'taskflow.taskflows.echo',
        '--replay',
        cassette,
        '--output',
        'tty',
        ...flags,
      ],
      sandbox,
      {
        cwd: sandbox,
        env: { NO_COLOR: undefined, FORCE_COLOR: undefined, CI: undefined, ...environment },
      },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('succeeded');
    return result.stdout;
  }

  it('is off on a pipe by default and on with FORCE_COLOR=1', async () => {
    expect(await ttyRun([], {})).not.toContain(ESCAPE);
    expect(await ttyRun([], { FORCE_COLOR: '1' })).toContain(ESCAPE);
  });

  it('--no-color wins over FORCE_COLOR, --color over NO_COLOR, in either position', async () => {
    expect(await ttyRun(['--no-color'], { FORCE_COLOR: '1' })).not.toContain(ESCAPE);
    expect(await ttyRun(['--color'], { NO_COLOR: '1' })).toContain(ESCAPE);
    expect(await ttyRun([], { FORCE_COLOR: '1' }, ['--no-color'])).not.toContain(ESCAPE);
  });

  it('NO_COLOR wins over FORCE_COLOR', async () => {
    expect(await ttyRun([], { NO_COLOR: '1', FORCE_COLOR: '1' })).not.toContain(ESCAPE);
  });
});

describe('taskflow completion', () => {
  let bashScriptFile: string;

  beforeAll(async () => {
    const result = await runCli(['completion', 'bash'], sandbox);
    expect(result.code, result.stderr).toBe(0);
    bashScriptFile = path.join(sandbox, 'taskflow.bash');
    fs.writeFileSync(bashScriptFile, result.stdout);
  });

  /** What bash completes for `words`, the last one being completed (as a shell sets COMP_*). */
  function complete(words: readonly string[], cwd = sandbox): Promise<string[]> {
    const script = [
      `source ${JSON.stringify(bashScriptFile)}`,
      'COMP_WORDS=("$@")',
      'COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))',
      'COMP_LINE="${COMP_WORDS[*]}"',
      'COMP_POINT=${#COMP_LINE}',
      '_taskflow_complete',
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join('\n');
    return new Promise((resolve, reject) => {
      execFile('bash', ['-c', script, 'bash', ...words], { cwd }, (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(stdout.split('\n').filter((line) => line !== ''));
      });
    });
  }

  /** The names under "Commands:" in a help text (commander lists `name [options] <args>`). */
  function commandsOf(help: string): string[] {
    const section = help.split(/^Commands:$/m)[1] ?? '';
    return [...section.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((match) => match[1] as string);
  }

  /** The long options listed under "Options:" in a help text. */
  function longOptionsOf(help: string): string[] {
    const section = (help.split(/^Options:$/m)[1] ?? '').split(/^\S/m)[0] ?? '';
    return [...section.matchAll(/^ {2}(?:-\w, )?(--[\w-]+)/gm)].map((match) => match[1] as string);
  }

  it('is a valid bash script that registers the completion function', async () => {
    const syntaxError = await new Promise<string>((resolve) =>
      execFile('bash', ['-n', bashScriptFile], (error, _stdout, stderr) =>
        resolve(error ? `${error.message}\n${stderr}` : ''),
      ),
    );
    expect(syntaxError).toBe('');
    expect(fs.readFileSync(bashScriptFile, 'utf8')).toContain(
      'complete -F _taskflow_complete taskflow',
    );
  });

  it('completes the commands taskflow --help lists, and by prefix', async () => {
    const help = await runCli(['--help'], sandbox);
    const commands = commandsOf(help.stdout);
    expect(commands).toEqual(expect.arrayContaining(['run', 'ask', 'completion', 'init', 'help']));
    expect(await complete(['taskflow', ''])).toEqual(commands);
    expect(await complete(['taskflow', 'com'])).toEqual(['completion']);
  });

  it("completes every command's options as its --help lists them (never stale)", async () => {
    const help = await runCli(['--help'], sandbox);
    for (const command of commandsOf(help.stdout).filter((name) => name !== 'help')) {
      const own = await runCli([command, '--help'], sandbox);
      const offered = await complete(['taskflow', command, '--']);
      expect(offered, command).toEqual(expect.arrayContaining(longOptionsOf(own.stdout)));
      // the program's own options are accepted after a command too
      expect(offered, command).toEqual(expect.arrayContaining(['--debug', '--no-color']));
    }
  });

  it('completes subcommands of sessions, option values and argument choices', async () => {
    expect(await complete(['taskflow', 'sessions', 'p'])).toEqual(['prune']);
    expect(await complete(['taskflow', 'sessions', 'prune', '--dr'])).toEqual(['--dry-run']);
    expect(await complete(['taskflow', 'run', 'flow', '--output', ''])).toEqual([
      'tty',
      'plain',
      'jsonl',
    ]);
    // --output=p: bash splits the word at "="
    expect(await complete(['taskflow', 'run', 'flow', '--output', '=', 'p'])).toEqual(['plain']);
    expect(await complete(['taskflow', 'list', ''])).toEqual([
      'taskflow',
      'personality',
      'toolbox',
      'prompt',
      'model_config',
    ]);
    expect(await complete(['taskflow', 'completion', ''])).toEqual(['bash', 'zsh', 'fish']);
  });

  it('finds the command after program options, and completes file values with files', async () => {
    expect(await complete(['taskflow', '--no-color', '-d', 'sessions', ''])).toEqual([
      'list',
      'show',
      'rm',
      'prune',
      'help',
    ]);
    const folder = path.join(sandbox, 'cassettes');
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, 'demo.jsonl'), '');
    expect(await complete(['taskflow', '-d', 'run', 'flow', '--replay', 'cassettes/de'])).toEqual([
      'cassettes/demo.jsonl',
    ]);
    expect(await complete(['taskflow', 'init', 'cass'])).toEqual(['cassettes']);
  });

  it('prints zsh and fish scripts built from the same commands', async () => {
    const zsh = await runCli(['completion', 'zsh'], sandbox);
    expect(zsh.code).toBe(0);
    expect(zsh.stdout.startsWith('#compdef taskflow\n')).toBe(true);
    expect(zsh.stdout).toContain('compdef _taskflow taskflow');
    const fish = await runCli(['completion', 'fish'], sandbox);
    expect(fish.code).toBe(0);
    const help = await runCli(['--help'], sandbox);
    for (const command of commandsOf(help.stdout)) {
      expect(zsh.stdout).toMatch(new RegExp(`\\b${command}\\b`));
      expect(fish.stdout).toContain(`-a '${command}'`);
    }
    expect(fish.stdout).toContain(
      "complete -c taskflow -n '__taskflow_at \\'run\\'' -l output -x -a 'tty plain jsonl'",
    );
  });
});
