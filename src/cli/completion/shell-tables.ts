import { flattenTree, type CommandSpec, type ValueCompletion } from './command-tree.js';

/**
 * The command tree as four POSIX `case` functions, shared by the bash and zsh scripts:
 *
 *   _taskflow_subcommands PATH      the subcommand names of PATH ("" = the program)
 *   _taskflow_options PATH          its options, the program's own included
 *   _taskflow_option_value PATH OPT how OPT's value completes: "-" (takes none),
 *                                   "@file", "@dir", "@none" or a word list
 *   _taskflow_argument PATH         how PATH's arguments complete (same answers; "-": none)
 *
 * PATH is the command words joined by spaces (`sessions prune`).
 */

/** Quoted for a `case` pattern or an `echo` argument in sh: single quotes, escaped. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

export function valueAnswer(value: ValueCompletion | undefined): string {
  if (value === undefined) return '-';
  switch (value.kind) {
    case 'words':
      return value.words.join(' ');
    case 'file':
      return '@file';
    case 'directory':
      return '@dir';
    case 'none':
      return '@none';
  }
}

function caseFunction(
  name: string,
  parameters: string,
  rows: readonly (readonly [string, string])[],
  fallback: string,
): string {
  const lines = [`${name}() {`, `  case ${parameters} in`];
  for (const [pattern, answer] of rows) {
    lines.push(`    ${pattern}) echo ${shellQuote(answer)} ;;`);
  }
  lines.push(`    *) echo ${shellQuote(fallback)} ;;`, '  esac', '}');
  return lines.join('\n');
}

/** The four lookup functions of the tree (see the module comment). */
export function shellTables(root: CommandSpec): string {
  const commands = flattenTree(root);
  const globalFlags = root.options.flatMap((option) => option.flags);
  const pathOf = (command: CommandSpec) => shellQuote(command.path.join(' '));
  const subcommands = commands
    .filter((command) => command.subcommands.length > 0)
    .map(
      (command) => [pathOf(command), command.subcommands.map((sub) => sub.name).join(' ')] as const,
    );
  const options = commands.map((command) => {
    const own = command.options.flatMap((option) => option.flags);
    const flags =
      command.path.length === 0
        ? own
        : [...own, ...globalFlags.filter((flag) => !own.includes(flag))];
    return [pathOf(command), flags.join(' ')] as const;
  });
  const optionValues = commands.flatMap((command) =>
    [...command.options, ...(command.path.length === 0 ? [] : root.options)]
      .filter((option) => option.value !== undefined)
      .map(
        (option) =>
          [
            option.flags.map((flag) => shellQuote(`${command.path.join(' ')} ${flag}`)).join('|'),
            valueAnswer(option.value),
          ] as const,
      ),
  );
  const argumentRows = commands
    .filter((command) => command.argument !== undefined)
    .map((command) => [pathOf(command), valueAnswer(command.argument)] as const);
  return [
    caseFunction('_taskflow_subcommands', '"$1"', subcommands, ''),
    caseFunction('_taskflow_options', '"$1"', options, ''),
    caseFunction('_taskflow_option_value', '"$1 $2"', optionValues, '-'),
    caseFunction('_taskflow_argument', '"$1"', argumentRows, '-'),
  ].join('\n\n');
}
