import { isTaskflowError, TaskflowError } from '../errors.js';
import { installBrokenPipeHandlers } from './broken-pipe.js';
import { colorFlagOf } from './color-choice.js';
import { formatLogLine } from '../logger.js';
import { describeDotEnv, loadEnvironment, isTruthyFlag } from './environment.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { buildProgram } from './program.js';
import { reportError } from './report-error.js';
import { parseCompatArgv } from './compat-argv.js';
import { packageRoot, type RuntimeContext } from './runtime-context.js';

/**
 * Process entry: the only place that reads process.env / argv, sets the exit code and
 * installs process-level handlers.
 */
async function main(): Promise<number> {
  // `taskflow … | head`: a closed stdout ends output quietly, never with a stack trace.
  installBrokenPipeHandlers(process.stdout, process.stderr);
  const argv = process.argv.slice(2);
  const workingDirectory = process.cwd();
  // Words after `--` are prompt text, never options.
  const optionWords = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  const debugFromArgv = optionWords.includes('-d') || optionWords.includes('--debug');
  let debug = debugFromArgv || isTruthyFlag(process.env.TASK_AGENT_DEBUG);
  try {
    const loaded = loadEnvironment(workingDirectory, process.env);
    const { environment } = loaded;
    debug = debug || isTruthyFlag(environment.TASK_AGENT_DEBUG);
    // Which .env was read (its path only: the values may be secrets).
    if (debug)
      process.stderr.write(
        formatLogLine('debug', describeDotEnv(loaded, workingDirectory, process.env)),
      );
    const context: RuntimeContext = {
      workingDirectory,
      environment,
      bundleRoot: packageRoot(),
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
      debug,
      colorFlag: colorFlagOf(argv),
    };
    const compat = parseCompatArgv(argv);
    const program = buildProgram(context, { seclabForm: compat.seclabCommand !== undefined });
    await program.parseAsync(compat.argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    const commanderExit = commanderExitCode(error);
    if (commanderExit !== undefined) return commanderExit;
    reportError(error, process.stderr, debug);
    return isTaskflowError(error) ? exitCodeFor(error.code) : EXIT.failed;
  }
}

/** commander throws on --help/--version (exit 0) and on usage errors (exit 2, already printed). */
function commanderExitCode(error: unknown): number | undefined {
  if (error === null || typeof error !== 'object' || !('code' in error)) return undefined;
  const code = error.code;
  if (typeof code !== 'string' || !code.startsWith('commander.')) return undefined;
  if (
    code === 'commander.helpDisplayed' ||
    code === 'commander.version' ||
    code === 'commander.help'
  )
    return EXIT.ok;
  return EXIT.usage;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    reportError(
      error instanceof Error ? error : new TaskflowError('internal', String(error)),
      process.stderr,
      true,
    );
    process.exitCode = EXIT.failed;
  },
);
