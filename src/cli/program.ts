import { Argument, Command, CommanderError, Option } from 'commander';
import {
  collect,
  parsePositiveInteger,
  withRunningOptions,
  withSearchPaths,
  withSessionDir,
} from './command-options.js';
import { ignoredWordsWarning } from './compat-argv.js';
import { COMPLETION_SHELLS, type CompletionShell } from './completion/shells.js';
import { runningCommandHelp } from './help-environment.js';
import { formatUsageError } from './report-error.js';
import { packageVersion, type RuntimeContext } from './runtime-context.js';

function warnIgnoredWords(context: RuntimeContext, flag: string, words: readonly string[]): void {
  const warning = ignoredWordsWarning(flag, words);
  if (warning) context.stderr.write(`taskflow: warning: ${warning}\n`);
}

const COMPAT_HELP = `
Compatibility with seclab-taskflow-agent:
  -t <taskflow>               same as "run <taskflow>"
  -p <personality> <prompt>   same as "ask <personality> <prompt>"
  --resume <id>               same as "resume <id>"
  -l                          same as "models"

Exit codes: 0 ok, 1 task failed, 2 usage or invalid definitions, 69 quota exhausted,
75 stopped but resumable, 78 configuration error, 130 interrupted.`;

interface SessionsCliOptions {
  sessionDir?: string;
  json?: boolean;
}

interface ResumeCliOptions {
  force?: boolean;
  wait?: boolean;
  global: string[];
  headless?: boolean;
  output?: string;
  path: string[];
  sessionDir?: string;
  record?: string;
  replay?: string;
  shard?: string;
  untilFanout?: boolean;
  queue?: string;
}

interface RunCliOptions {
  untilFanout?: boolean;
  queue?: string;
  strict?: boolean;
  sessionDir?: string;
  record?: string;
  replay?: string;
  global: string[];
  modelConfig?: string;
  headless?: boolean;
  output?: string;
  path: string[];
}

interface WorkerCliOptions {
  queue?: string;
  concurrency: number;
  lockTimeout: string;
  output?: string;
  path: string[];
  sessionDir?: string;
}

interface AskCliOptions {
  global: string[];
  record?: string;
  replay?: string;
  modelConfig?: string;
  model?: string;
  headless?: boolean;
  maxSteps?: number;
  output?: string;
  path: string[];
}

/** How the command line was written. */
export interface ProgramForm {
  /**
   * A seclab flag (`-t`, `-p`, `--resume`, `-l`) chose the command: as in seclab, words
   * after it that the command does not take are ignored (with a warning) instead of refused.
   */
  readonly seclabForm?: boolean;
}

/** Words a command received beyond its own arguments (only possible in the seclab form). */
function extraWords(command: Command, taken: number): string[] {
  return command.args.slice(taken);
}

/**
 * The command tree. Each action imports its implementation lazily so `--help` and
 * `validate` never load the model or MCP libraries.
 */
export function buildProgram(context: RuntimeContext, form: ProgramForm = {}): Command {
  const seclabForm = form.seclabForm ?? false;
  const version = packageVersion(context.bundleRoot);
  const program = new Command('taskflow')
    .description('Run declarative agent workflows (taskflows) against OpenAI-compatible endpoints')
    .version(version, '-v, --version')
    // -V: the version flag of earlier releases, still accepted.
    .addOption(new Option('-V').hideHelp())
    .on('option:V', () => {
      context.stdout.write(`${version}\n`);
      throw new CommanderError(0, 'commander.version', version);
    })
    .option('-d, --debug', 'full stack traces and debug logging to stderr')
    .option('--color', 'colour output even off a terminal (as FORCE_COLOR=1)')
    .option('--no-color', 'no colours (as NO_COLOR=1)')
    .addHelpText('after', COMPAT_HELP)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.stdout.write(text),
      writeErr: (text) => context.stderr.write(text),
    });

  withSessionDir(
    withRunningOptions(
      program
        .command('run')
        .description('run a taskflow')
        .addHelpText('after', runningCommandHelp('run'))
        .argument('<taskflow>', 'taskflow: dotted import path or file path')
        .option('-g, --global <KEY=VALUE>', 'override a taskflow global (repeatable)', collect, [])
        .option('-m, --model-config <ref>', "use this model config instead of the taskflow's")
        .option(
          '--strict',
          'treat definition warnings (unknown fields, duplicate keys, unknown -g keys) as errors',
        )
        .option(
          '--until-fanout',
          'run the tasks before the first fan-out, record its branch list and stop (status planned)',
        )
        .option(
          '--queue <redis-url>',
          'hand fan-out branches to `taskflow worker`s through this Redis (env TASKFLOW_QUEUE)',
        )
        .allowExcessArguments(seclabForm),
    ),
  ).action(async (taskflow: string, options: RunCliOptions, command: Command) => {
    const { runCommand } = await import('./commands/run.js');
    process.exitCode = await runCommand(context, taskflow, {
      ...options,
      ignoredWords: extraWords(command, 1),
    });
  });

  withSessionDir(
    withRunningOptions(
      program
        .command('resume')
        .description('continue a checkpointed session')
        .addHelpText('after', runningCommandHelp('resume'))
        .argument('<session-id>', 'session id (or a unique prefix of 4+ characters)')
        .option(
          '--force',
          'resume although a finished task (or the item list in progress) was edited; at task granularity',
        )
        .option('--wait', 'wait until resumeNotBefore instead of exiting 75')
        .option(
          '--shard <K/N>',
          'run only the branches of the planned fan-out whose ordinal is K-1 mod N, then stop (status sharded)',
        )
        .option(
          '--until-fanout',
          'stop at the next fan-out with its branch list recorded (status planned)',
        )
        .option(
          '--queue <redis-url>',
          'hand fan-out branches to `taskflow worker`s through this Redis (env TASKFLOW_QUEUE)',
        )
        .option('-g, --global <KEY=VALUE>', 'refused: a resumed run keeps its globals', collect, [])
        .allowExcessArguments(seclabForm),
    ),
  ).action(async (id: string, options: ResumeCliOptions, command: Command) => {
    const { resumeCommand } = await import('./commands/resume.js');
    process.exitCode = await resumeCommand(context, id, {
      ...options,
      ignoredWords: extraWords(command, 1),
    });
  });

  withSessionDir(
    withSearchPaths(
      program
        .command('worker')
        .description(
          'run fan-out branches from a queue (of runs started with --queue) until stopped',
        )
        .option('--queue <redis-url>', 'the Redis of the queue (env TASKFLOW_QUEUE)')
        .option(
          '--concurrency <n>',
          'branches run at once by this worker',
          parsePositiveInteger,
          10,
        )
        .option(
          '--lock-timeout <duration>',
          'how long a silent worker keeps its jobs: another takes them over within about twice this',
          '30s',
        )
        .option(
          '--output <mode>',
          'tty, plain or jsonl (default: plain; jsonl prints one event per line)',
        ),
    ),
  ).action(async (options: WorkerCliOptions) => {
    const { workerCommand } = await import('./commands/worker.js');
    process.exitCode = await workerCommand(context, options);
  });

  withSessionDir(
    program
      .command('merge')
      .description('fold the finished work of shard copies of a session into it (then resume it)')
      .argument('<session-id>', 'session id (or a unique prefix of 4+ characters)')
      .requiredOption(
        '--from <session-dir...>',
        'session folders of shard copies (each holding <session-id>/, or that folder itself)',
      ),
  ).action(async (id: string, options: { from: string[]; sessionDir?: string }) => {
    const { mergeCommand } = await import('./commands/merge.js');
    process.exitCode = mergeCommand(context, id, options);
  });

  const sessions = program.command('sessions').description('inspect and delete sessions');
  withSessionDir(
    sessions
      .command('list')
      .description('list sessions: id, status, tasks done/total, updated time, taskflow')
      .option('--json', 'print JSON'),
  ).action(async (options: SessionsCliOptions) => {
    const { sessionsListCommand } = await import('./commands/sessions.js');
    process.exitCode = sessionsListCommand(context, options);
  });
  withSessionDir(
    sessions
      .command('show')
      .description('show a session manifest: status, per-task status, usage, retries')
      .argument('<session-id>', 'session id or prefix')
      .option('--json', 'print the raw manifest'),
  ).action(async (id: string, options: SessionsCliOptions) => {
    const { sessionsShowCommand } = await import('./commands/sessions.js');
    process.exitCode = sessionsShowCommand(context, id, options);
  });
  withSessionDir(
    sessions
      .command('rm')
      .description(
        'delete sessions (the others are still deleted when an id is unknown or in use; exit 1 then)',
      )
      .argument('<session-id...>', 'session ids or unique prefixes'),
  ).action(async (ids: string[], options: SessionsCliOptions) => {
    const { sessionsRemoveCommand } = await import('./commands/sessions.js');
    process.exitCode = sessionsRemoveCommand(context, ids, options);
  });
  withSessionDir(
    sessions
      .command('prune')
      .description(
        'delete old sessions, printing each; sessions in use by a live process are never deleted',
      )
      .option(
        '--older-than <duration>',
        'only sessions last updated longer ago than this (7d, 12h, 30m)',
        '7d',
      )
      .option(
        '--status <status>',
        'only sessions with this status, repeatable or comma-separated (default succeeded): succeeded, failed, stopped, interrupted, running, unreadable; finished = every ended run; all',
        (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
      )
      .option('--dry-run', 'print what would be deleted, delete nothing'),
  ).action(
    async (options: {
      sessionDir?: string;
      olderThan?: string;
      status?: string[];
      dryRun?: boolean;
    }) => {
      const { sessionsPruneCommand } = await import('./commands/sessions-prune.js');
      process.exitCode = sessionsPruneCommand(context, options);
    },
  );

  withRunningOptions(
    program
      .command('ask')
      .description('run one agent with a personality on a prompt')
      .addHelpText('after', runningCommandHelp('ask'))
      .argument('<personality>', 'personality: dotted import path or file path')
      .argument(
        '[prompt...]',
        'the prompt; "-", or none while stdin is not a terminal, reads it from stdin; words after "--" are never options',
      )
      .option(
        '-g, --global <KEY=VALUE>',
        'accepted as seclab does; a personality prompt has no globals',
        collect,
        [],
      )
      .option('-m, --model-config <ref>', 'model config to resolve --model through')
      .option(
        '--model <name>',
        'model (a model config key or a literal id; default $TASKFLOW_DEFAULT_MODEL)',
      )
      .option('--max-steps <n>', 'maximum model turns', parsePositiveInteger),
  ).action(async (personality: string, prompt: string[] | undefined, options: AskCliOptions) => {
    const { askCommand } = await import('./commands/ask.js');
    process.exitCode = await askCommand(context, personality, prompt ?? [], options);
  });

  withSearchPaths(program.command('validate'))
    .description('load, validate and cross-check files without calling any model')
    .argument('<ref-or-file...>', 'dotted import paths or file paths')
    .option(
      '-g, --global <KEY=VALUE>',
      'a global the run will be given: its use counts as declared; an unknown key is a warning (repeatable)',
      collect,
      [],
    )
    .option(
      '--strict',
      'treat warnings (unknown fields, unknown models, unknown -g keys) as errors',
    )
    .option('--json', 'print the issues as JSON')
    .action(
      async (
        references: string[],
        options: { strict?: boolean; path: string[]; json?: boolean; global: string[] },
      ) => {
        const { validateCommand } = await import('./commands/validate.js');
        process.exitCode = validateCommand(context, references, options);
      },
    );

  withSearchPaths(program.command('list'))
    .description(
      'list taskflows, personalities, toolboxes, prompts and model configs on the search path',
    )
    .addArgument(
      new Argument('[kind]', 'only this kind').choices([
        'taskflow',
        'personality',
        'toolbox',
        'prompt',
        'model_config',
      ]),
    )
    .option('--json', 'print JSON')
    .action(async (kind: string | undefined, options: { path: string[]; json?: boolean }) => {
      const { listCommand } = await import('./commands/list.js');
      process.exitCode = listCommand(context, kind, options);
    });

  program
    .command('models')
    .description("list the endpoint's models that support tool calls")
    .option('--json', 'print JSON')
    .option('--all', 'include models without tool support')
    .allowExcessArguments(seclabForm)
    .action(async (options: { json?: boolean; all?: boolean }, command: Command) => {
      warnIgnoredWords(context, '-l', extraWords(command, 0));
      const { modelsCommand } = await import('./commands/models.js');
      process.exitCode = await modelsCommand(context, options);
    });

  program
    .command('schema')
    .description('print the JSON Schema of the file types (for yaml-language-server)')
    .argument(
      '[filetype]',
      'taskflow | personality | toolbox | prompt | model_config (default: all)',
    )
    .action(async (filetype: string | undefined) => {
      const { schemaCommand } = await import('./commands/schema.js');
      process.exitCode = schemaCommand(context, filetype);
    });

  program
    .command('completion')
    .description('print a shell completion script (bash, zsh or fish)')
    .addArgument(new Argument('<shell>', 'the shell').choices(COMPLETION_SHELLS))
    .action(async (shell: CompletionShell) => {
      const { completionCommand } = await import('./commands/completion.js');
      process.exitCode = completionCommand(context, shell, program);
    });

  program
    .command('init')
    .description(
      'create a starter taskflow, personality, toolbox and offline cassette in a directory',
    )
    .argument('[dir]', 'where (default: the working directory; created when missing)')
    .action(async (directory: string | undefined) => {
      const { initCommand } = await import('./commands/init.js');
      process.exitCode = initCommand(context, directory);
    });

  useOneLineUsageErrors(program, 'taskflow');
  return program;
}

/**
 * commander's usage errors (unknown option, missing argument, ...) as one line in
 * taskflow's style, naming the help of the command that refused them.
 */
function useOneLineUsageErrors(command: Command, commandPath: string): void {
  command.configureOutput({
    outputError: (message, write) => write(formatUsageError(message, commandPath)),
  });
  for (const subcommand of command.commands) {
    useOneLineUsageErrors(subcommand, `${commandPath} ${subcommand.name()}`);
  }
}
