import type { Argument, Command, Option } from 'commander';

/**
 * What a shell completion script needs to know about the command line, read from the
 * commander program itself (so a new command or option is completed without touching the
 * scripts).
 */

/** How the value of an option or argument is completed. */
export type ValueCompletion =
  | { readonly kind: 'words'; readonly words: readonly string[] }
  | { readonly kind: 'file' }
  | { readonly kind: 'directory' }
  /** A value nothing can guess (a session id, KEY=VALUE): no candidates. */
  | { readonly kind: 'none' };

export interface OptionSpec {
  /** Short and long spellings, e.g. `['-g', '--global']`. */
  readonly flags: readonly string[];
  readonly description: string;
  /** Undefined: a switch that takes no value. */
  readonly value?: ValueCompletion;
}

export interface CommandSpec {
  readonly name: string;
  /** Words after `taskflow` that select this command (empty for the program). */
  readonly path: readonly string[];
  readonly description: string;
  readonly options: readonly OptionSpec[];
  readonly subcommands: readonly CommandSpec[];
  /** How the command's positional arguments are completed; undefined: it takes none. */
  readonly argument?: ValueCompletion;
}

/**
 * `tty | plain | jsonl (default …)` → the words: a description that starts with words
 * separated by ` | ` lists the accepted values (the convention of this program's help).
 */
function wordsFromDescription(description: string): string[] | undefined {
  const match = /^([\w.-]+(?: \| [\w.-]+)+)/.exec(description);
  return match?.[1]?.split(' | ');
}

/** The value completion a placeholder (`<file>`, `<dir>`, `<ref>`...) or description implies. */
function valueCompletion(
  placeholder: string,
  choices: readonly string[] | undefined,
  description: string,
): ValueCompletion {
  const words = choices ?? wordsFromDescription(description);
  if (words) return { kind: 'words', words };
  if (/^(file|ref|ref-or-file|taskflow|personality)$/.test(placeholder)) return { kind: 'file' };
  if (/(^|-)(dir|directory)$/.test(placeholder)) return { kind: 'directory' };
  return { kind: 'none' };
}

function placeholderOf(flags: string): string {
  return /[<[]([^>\]]+?)(?:\.\.\.)?[>\]]/.exec(flags)?.[1] ?? '';
}

function optionSpec(option: Option): OptionSpec {
  const flags = [option.short, option.long].filter((flag): flag is string => flag !== undefined);
  const takesValue = option.required || option.optional;
  return {
    flags,
    description: option.description,
    ...(takesValue && {
      value: valueCompletion(placeholderOf(option.flags), option.argChoices, option.description),
    }),
  };
}

function argumentCompletion(
  argument: Argument,
  parent: Command | undefined,
  help: ReturnType<Command['createHelp']>,
): ValueCompletion {
  // `help [command]`: the names of its sibling commands.
  if (argument.name() === 'command' && parent) {
    return {
      kind: 'words',
      words: help.visibleCommands(parent).map((command) => command.name()),
    };
  }
  return valueCompletion(argument.name(), argument.argChoices, argument.description);
}

/**
 * The tree of `program`: visible commands, their visible options (help included) and how
 * their arguments are completed. The program's own options are listed on the program only;
 * the scripts offer them after any command too, as commander accepts them there.
 */
export function commandTree(program: Command): CommandSpec {
  const visit = (command: Command, path: readonly string[], parent?: Command): CommandSpec => {
    const help = command.createHelp();
    const [argument] = command.registeredArguments;
    return {
      name: command.name(),
      path,
      description: command.summary() || command.description(),
      options: help.visibleOptions(command).map(optionSpec),
      subcommands: help
        .visibleCommands(command)
        .map((subcommand) => visit(subcommand, [...path, subcommand.name()], command)),
      ...(argument && { argument: argumentCompletion(argument, parent, help) }),
    };
  };
  return visit(program, []);
}

/** Every command of the tree, the program first, parents before children. */
export function flattenTree(root: CommandSpec): CommandSpec[] {
  return [root, ...root.subcommands.flatMap(flattenTree)];
}
