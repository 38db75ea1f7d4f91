import { InvalidArgumentError, type Command } from 'commander';

/** Commander collector for repeatable options. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function parsePositiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) {
    throw new InvalidArgumentError('expected a whole number >= 1');
  }
  return number;
}

/** `--path`: every command that resolves references. */
export function withSearchPaths(command: Command): Command {
  return command.option(
    '--path <dir>',
    'extra search root for import paths (repeatable)',
    collect,
    [],
  );
}

/** `--session-dir`: every command that touches sessions. */
export function withSessionDir(command: Command): Command {
  return command.option(
    '--session-dir <dir>',
    'where sessions live (default $TASKFLOW_SESSION_DIR, else the data dir)',
  );
}

/** Options of the commands that run agents (run, resume, ask). */
export function withRunningOptions(command: Command): Command {
  return withSearchPaths(
    command
      .option('--headless', 'auto-approve tools listed under confirm for every task')
      .option(
        '--output <mode>',
        'tty | plain | jsonl (default: tty on a terminal outside CI, else plain)',
      )
      .option('--record <file>', 'record every model exchange to a JSONL cassette')
      .option('--replay <file>', 'answer model calls from a cassette (offline, deterministic)'),
  );
}
