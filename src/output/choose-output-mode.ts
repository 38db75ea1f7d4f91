import { TaskflowError } from '../errors.js';
import type { OutputMode } from './reporter.js';

const MODES: readonly OutputMode[] = ['tty', 'plain', 'jsonl'];

/**
 * The `--output` mode: the flag when given, else `tty` on a TTY outside CI, else `plain`.
 * An explicit flag wins even off a TTY (spinners are decided separately).
 * @throws TaskflowError `usage` for a value other than tty, plain or jsonl.
 */
export function chooseOutputMode(
  flag: string | undefined,
  facts: { stdoutIsTty: boolean; ci: boolean },
): OutputMode {
  if (flag === undefined) return facts.stdoutIsTty && !facts.ci ? 'tty' : 'plain';
  const mode = MODES.find((candidate) => candidate === flag);
  if (mode === undefined) {
    throw new TaskflowError(
      'usage',
      `--output: expected one of ${MODES.join(', ')}, got ${JSON.stringify(flag)}`,
    );
  }
  return mode;
}
