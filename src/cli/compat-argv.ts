import { TaskflowError } from '../errors.js';

/** argv rewritten to a subcommand, and which seclab flag (if any) chose it. */
export interface CompatArgv {
  readonly argv: string[];
  /** The subcommand a seclab flag stood for (`run` for `-t`, ...); undefined for our own forms. */
  readonly seclabCommand?: string;
}

/** See parseCompatArgv; returns only the rewritten argv. */
export function rewriteCompatArgv(argv: readonly string[]): string[] {
  return parseCompatArgv(argv).argv;
}

/**
 * seclab-taskflow-agent's top-level flags, rewritten to our subcommands:
 * `-t X` = `run X`, `-p X prompt...` = `ask X prompt...`, `--resume X` = `resume X`,
 * `-l` = `models`. Other flags keep their place. Returns argv unchanged when none is used.
 * Throws a usage error for combinations that cannot mean one command.
 */
export function parseCompatArgv(argv: readonly string[]): CompatArgv {
  // `restBefore`: how many other arguments came before the flag (a command there conflicts;
  // words after it belong to the flag, e.g. the prompt of -p).
  const modes: {
    flag: string;
    command: string;
    value?: string;
    index: number;
    restBefore: number;
  }[] = [];
  const rest: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] as string;
    if (argument === '--') {
      rest.push(...argv.slice(index));
      break;
    }
    const match = /^(-t|--taskflow|-p|--personality|--resume|-l|--list-models)(?:=(.*))?$/.exec(
      argument,
    );
    if (!match) {
      rest.push(argument);
      continue;
    }
    const flag = match[1] as string;
    const command = {
      '-t': 'run',
      '--taskflow': 'run',
      '-p': 'ask',
      '--personality': 'ask',
      '--resume': 'resume',
      '-l': 'models',
      '--list-models': 'models',
    }[flag] as string;
    if (command === 'models') {
      modes.push({ flag, command, index, restBefore: rest.length });
      continue;
    }
    const value = match[2] ?? argv[index + 1];
    if (value === undefined || (match[2] === undefined && value.startsWith('-'))) {
      throw new TaskflowError('usage', `option ${flag} needs a value`);
    }
    if (match[2] === undefined) index++;
    modes.push({ flag, command, value, index, restBefore: rest.length });
  }
  if (modes.length === 0) return { argv: [...argv] };
  if (modes.length > 1) {
    throw new TaskflowError(
      'usage',
      `options ${modes.map((mode) => mode.flag).join(' and ')} cannot be combined`,
    );
  }
  const [mode] = modes as [(typeof modes)[number]];
  const firstPositional = rest
    .slice(0, mode.restBefore)
    .findIndex((argument) => !argument.startsWith('-'));
  if (firstPositional !== -1 && KNOWN_COMMANDS.has(rest[firstPositional] as string)) {
    throw new TaskflowError(
      'usage',
      `option ${mode.flag} cannot be combined with the "${rest[firstPositional]}" command`,
    );
  }
  return {
    argv: [mode.command, ...(mode.value === undefined ? [] : [mode.value]), ...rest],
    seclabCommand: mode.command,
  };
}

/** The warning for words a seclab flag's command ignores (seclab ignores them silently). */
export function ignoredWordsWarning(flag: string, words: readonly string[]): string | undefined {
  if (words.length === 0) return undefined;
  return `ignoring ${JSON.stringify(words.join(' '))} after ${flag}: it takes no prompt (seclab-taskflow-agent ignores these words too)`;
}

const KNOWN_COMMANDS = new Set([
  'run',
  'ask',
  'resume',
  'validate',
  'list',
  'sessions',
  'models',
  'schema',
  'completion',
  'init',
  'merge',
  'help',
]);
