import { readPromptFlags, type PromptFlag, type PromptWord } from './prompt-flags.js';
import { templatePosition } from './template-positions.js';
import type { SourcePosition, TemplateText } from './types.js';

/** A problem or remark about a prompt's flags, at a word of the prompt. */
export interface PromptNote {
  readonly message: string;
  readonly position: SourcePosition;
}

/** What the prompt of a task without `agents` says about its personality. */
export type PromptPersonality =
  /** The prompt does not start with a flag (or starts with flags that name none). */
  | { readonly kind: 'none' }
  /** The flags leave the task without a personality, for the reason given. */
  | { readonly kind: 'invalid'; readonly problem: PromptNote }
  | {
      readonly kind: 'personality';
      readonly reference: string;
      /** Where the personality's name is written. */
      readonly position: SourcePosition;
      /** The prompt without its flags: what the model is asked. */
      readonly prompt: TemplateText;
      /** Flags that are read and have no effect. */
      readonly ignored: readonly PromptNote[];
    };

/** A template in the flags: their words are only known after rendering. */
const TEMPLATE_START = /\{[{%#]/;
const WHITESPACE = /\s/;

/**
 * seclab's legacy form for a prompt task without `agents`: the prompt starts with
 * `-p some.personality` and the rest is the prompt (runner.py:606-610). seclab reads the
 * flags from each rendered prompt; taskflow reads them from the prompt as written, so the
 * personality is loaded and checked with the file, and a flag's words must be literal.
 */
export function promptPersonality(prompt: TemplateText): PromptPersonality {
  if (!prompt.text.startsWith('-')) return { kind: 'none' };
  const read = readPromptFlags(prompt.text);
  const at = (word: PromptWord, skip = 0): SourcePosition => positionIn(prompt, word.offset + skip);
  const problem = (word: PromptWord, message: string): PromptPersonality => ({
    kind: 'invalid',
    problem: { message, position: at(word) },
  });
  let personality: PromptWord | undefined;
  const ignored: PromptNote[] = [];
  for (const flag of read.flags) {
    const templated = [flag.word, flag.value].find(
      (word) => word && TEMPLATE_START.test(word.text),
    );
    if (templated)
      return problem(
        templated,
        `"${flag.word.text}" is followed by a template: taskflow reads a prompt's flags before rendering, so write them out`,
      );
    if (flag === read.missingValue) return problem(flag.word, missingValueMessage(flag));
    switch (flag.rule.effect) {
      case 'excludes-personality':
        return problem(flag.word, excludesMessage(flag));
      case 'dropped-global':
        if (!flag.value?.text.includes('='))
          return problem(
            flag.word,
            `"${wordsOf(flag)}" is not KEY=VALUE: seclab then reads no personality from the prompt`,
          );
        ignored.push({
          message: `"${wordsOf(flag)}" in a prompt sets no global (seclab drops it)`,
          position: at(flag.word),
        });
        break;
      case 'personality':
        personality = flag.value;
        break;
    }
  }
  for (const word of read.unknown) {
    if (TEMPLATE_START.test(word.text))
      return problem(word, `"${word.text}" is a template among the prompt's flags; write it out`);
    ignored.push({
      message: `"${word.text}" in a prompt is not a flag seclab knows`,
      position: at(word),
    });
  }
  if (!personality) return { kind: 'none' };
  const name = personality.text.trim();
  const skip = personality.text.length - personality.text.trimStart().length;
  if (name === '') return problem(personality, missingValueMessage({ word: personality }));
  if (WHITESPACE.test(name))
    return problem(
      personality,
      `"-p" takes the text up to the next space: "${JSON.stringify(name).slice(1, -1)}" is no personality name`,
    );
  return {
    kind: 'personality',
    reference: name,
    position: at(personality, skip),
    prompt: rest(prompt, read.restOffset),
    ignored,
  };
}

function missingValueMessage(flag: Pick<PromptFlag, 'word'>): string {
  return flag.word.text.startsWith('-p')
    ? '"-p" needs a personality name after it'
    : `"${flag.word.text}" needs a value after it: seclab then reads no personality from the prompt`;
}

function excludesMessage(flag: PromptFlag): string {
  const what = flag.rule.takesValue ? 'names a taskflow' : 'lists models';
  return `"${flag.word.text}" ${what}: a task without "agents" needs "-p <personality>" alone`;
}

function wordsOf(flag: PromptFlag): string {
  const separate = flag.value && flag.value.offset >= flag.word.offset + flag.word.text.length;
  return separate ? `${flag.word.text} ${flag.value?.text}` : flag.word.text;
}

/** The 1-based line and column of an offset of the template text, mapped into its file. */
function positionIn(template: TemplateText, offset: number): SourcePosition {
  const before = template.text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return templatePosition(template, line, column);
}

/**
 * The prompt after its flags. A template text has one start position, so for a block
 * scalar the rest starts at the block's column on its line (exact for the lines after).
 */
function rest(prompt: TemplateText, offset: number): TemplateText {
  const text = prompt.text.slice(offset);
  const before = prompt.text.slice(0, offset);
  const line = before.split('\n').length;
  const column = prompt.block ? 1 : offset - before.lastIndexOf('\n');
  return Object.freeze({
    text,
    position: templatePosition(prompt, line, column),
    block: prompt.block,
  });
}
