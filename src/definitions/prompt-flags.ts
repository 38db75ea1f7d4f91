import { acceptanceRules, type PromptFlagRule } from './seclab-acceptance.js';

/** A word of a prompt and where it starts (0-based offset into the prompt text). */
export interface PromptWord {
  readonly text: string;
  readonly offset: number;
}

/** A known flag read from the start of a prompt. */
export interface PromptFlag {
  readonly rule: PromptFlagRule;
  /** The flag as written (`-p`, `-pname`, `--glob=a=b`). */
  readonly word: PromptWord;
  /** Its value, glued to the flag or the next word; undefined for a flag without one. */
  readonly value?: PromptWord;
}

/** What seclab's prompt parser reads from the start of a prompt. */
export interface PromptFlags {
  /** The known flags, in order. */
  readonly flags: readonly PromptFlag[];
  /** Words that look like flags the parser does not know: argparse sets them aside. */
  readonly unknown: readonly PromptWord[];
  /** A flag that takes a value has none: the parser gives up (argparse exits with 2). */
  readonly missingValue?: PromptFlag;
  /** Where the prompt proper starts: the first word that is no flag (text length if none). */
  readonly restOffset: number;
}

/** argparse (allow_abbrev) reads `-1`, `-2.5` as words: the parser has no such flag. */
const NEGATIVE_NUMBER = /^-\d+$|^-\d*\.\d+$/;

type WordKind =
  { kind: 'word' } | { kind: 'unknown' } | { kind: 'flag'; rule: PromptFlagRule; glued?: string };

/**
 * Read the leading flags of a prompt as seclab's legacy prompt parser does
 * (prompt_parser.py:31-52: argparse over `prompt.split(" ")`, `prompt` collecting the rest
 * from the first word that is no flag). Only single spaces separate words: a newline or a
 * tab stays inside the word. The flags are seclab-acceptance.ts' `prompt-flag` rows.
 *
 * Checked against Python 3.11-3.13's argparse: `-pname`, `-p=name`, `--glob=k=v` glue the
 * value; `--` and the first plain word (or empty word, from two spaces) start the rest; a
 * word like `-x` is set aside. One simplification: a flag glued after `-l` (`-lp x`) is not
 * read, since `-l` excludes `-p` and the prompt has no personality either way.
 */
export function readPromptFlags(text: string): PromptFlags {
  const words = splitOnSpaces(text);
  const flags: PromptFlag[] = [];
  const unknown: PromptWord[] = [];
  let index = 0;
  while (index < words.length) {
    const word = words[index] as PromptWord;
    if (word.text === '--') break;
    const kind = classify(word.text);
    if (kind.kind === 'word') break;
    index++;
    if (kind.kind === 'unknown') {
      unknown.push(word);
      continue;
    }
    const { rule, glued } = kind;
    if (!rule.takesValue) {
      flags.push({ rule, word });
      continue;
    }
    if (glued !== undefined) {
      const value = { text: glued, offset: word.offset + word.text.length - glued.length };
      flags.push({ rule, word, value });
      continue;
    }
    const next = words[index];
    if (next === undefined || next.text === '--' || classify(next.text).kind !== 'word') {
      const missing = { rule, word };
      return {
        flags: [...flags, missing],
        unknown,
        missingValue: missing,
        restOffset: text.length,
      };
    }
    flags.push({ rule, word, value: next });
    index++;
  }
  const rest = words[index];
  return { flags, unknown, restOffset: rest === undefined ? text.length : rest.offset };
}

function splitOnSpaces(text: string): PromptWord[] {
  const words: PromptWord[] = [];
  let offset = 0;
  for (const part of text.split(' ')) {
    words.push({ text: part, offset });
    offset += part.length + 1;
  }
  return words;
}

/** argparse's `_parse_optional` for this parser's flags. */
function classify(word: string): WordKind {
  if (word.length < 2 || !word.startsWith('-')) return { kind: 'word' };
  const rules = acceptanceRules('prompt-flag');
  const exact = rules.find((rule) => rule.flags.includes(word));
  if (exact) return { kind: 'flag', rule: exact };
  const equals = word.indexOf('=');
  const name = equals < 0 ? word : word.slice(0, equals);
  const afterEquals = equals < 0 ? undefined : word.slice(equals + 1);
  const named = rules.find((rule) => rule.flags.includes(name));
  if (named && afterEquals !== undefined) return { kind: 'flag', rule: named, glued: afterEquals };
  if (word.startsWith('--')) {
    // A long flag may be abbreviated (`--glob`); seclab's parser has one long flag.
    const matching = rules.filter((rule) =>
      rule.flags.some((flag) => flag.startsWith('--') && flag.startsWith(name)),
    );
    if (matching.length === 1) {
      const rule = matching[0] as PromptFlagRule;
      return { kind: 'flag', rule, ...(afterEquals !== undefined && { glued: afterEquals }) };
    }
  } else {
    const short = rules.find((rule) => rule.flags.includes(word.slice(0, 2)));
    if (short) return { kind: 'flag', rule: short, glued: word.slice(2) };
  }
  return NEGATIVE_NUMBER.test(word) ? { kind: 'word' } : { kind: 'unknown' };
}
