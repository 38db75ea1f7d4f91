import type { Command } from 'commander';
import { bashScript } from '../completion/bash-script.js';
import { commandTree } from '../completion/command-tree.js';
import { fishScript } from '../completion/fish-script.js';
import { zshScript } from '../completion/zsh-script.js';
import { EXIT } from '../exit-codes.js';
import { packageVersion, type RuntimeContext } from '../runtime-context.js';
import type { CompletionShell } from '../completion/shells.js';

/**
 * `taskflow completion bash|zsh|fish`: prints a completion script for the shell, generated
 * from `program` (its commands, options and argument choices), to stdout.
 */
export function completionCommand(
  context: RuntimeContext,
  shell: CompletionShell,
  program: Command,
): number {
  const tree = commandTree(program);
  const version = packageVersion(context.bundleRoot);
  const script = {
    bash: bashScript,
    zsh: zshScript,
    fish: fishScript,
  }[shell](tree, version);
  context.stdout.write(script);
  return EXIT.ok;
}
