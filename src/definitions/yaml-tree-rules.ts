import { isMap, isScalar, isSeq } from 'yaml';
import type { Node } from 'yaml';

/**
 * What a definition file may hold beyond YAML syntax: plain JSON-like values, bounded
 * nesting, bounded alias expansion. The limits are far above anything a taskflow needs and
 * far below what exhausts the stack or memory of the checks that follow the parse.
 */

/** Levels of nesting (the document's top mapping is level 1). */
export const MAX_NESTING = 100;

/** Values that aliases may add to a file beyond those written in it. */
export const MAX_ALIAS_EXPANSION = 100_000;

const CORE = 'tag:yaml.org,2002:';

/** Tags whose values are strings, numbers, booleans, null, lists and mappings. */
const PLAIN_TAGS = new Set([
  '!',
  ...['str', 'int', 'float', 'bool', 'null', 'seq', 'map'].map((name) => `${CORE}${name}`),
]);

/** Tags the `yaml` package knows (YAML 1.1 types) whose values are not JSON values. */
const UNSUPPORTED_TAGS = new Set(
  ['binary', 'set', 'omap', 'pairs', 'timestamp'].map((name) => `${CORE}${name}`),
);

const PLAIN_VALUES =
  'a taskflow file holds only strings, numbers, booleans, null, lists and mappings';

/** The problem with a node's tag, or undefined when the tag is fine. */
export function tagProblem(tag: string | undefined): string | undefined {
  if (tag === undefined || PLAIN_TAGS.has(tag)) return undefined;
  const shown = tag.startsWith(CORE) ? `!!${tag.slice(CORE.length)}` : tag;
  return UNSUPPORTED_TAGS.has(tag)
    ? `YAML tag ${shown} is not supported: ${PLAIN_VALUES}`
    : `unknown YAML tag ${shown}: ${PLAIN_VALUES}`;
}

/** Message for a mapping key that is a collection (JSON keys are strings). */
export function complexKeyMessage(key: Node): string {
  const what = isSeq(key) ? 'a list' : isMap(key) ? 'a mapping' : 'not a plain value';
  return `a mapping key must be a string, a number, a boolean or null, not ${what}`;
}

export function recursiveAliasMessage(name: string): string {
  return `YAML alias "*${name}" refers to the anchor "&${name}" that contains it: a value cannot contain itself`;
}

export function unknownAliasMessage(name: string): string {
  return `unknown YAML alias "*${name}": no anchor "&${name}" is defined before it`;
}

export const EXPANSION_MESSAGE = `YAML aliases expand to more than ${MAX_ALIAS_EXPANSION} values (nested aliases multiply): write the values out or use fewer levels of aliases`;

export const NESTING_MESSAGE = `YAML is nested more than ${MAX_NESTING} levels deep`;

export const MERGE_MESSAGE = 'a merge key (<<) takes a mapping, an alias of one, or a list of them';

/** `<<` written plainly: the `yaml` package marks it with a symbol. */
export function isMergeKey(key: unknown): boolean {
  return isScalar(key) && typeof key.value === 'symbol' && key.value.description === '<<';
}

/**
 * Where a node's tag starts (the `yaml` package's range starts at the value, after any
 * `!tag` and `&anchor` written before it). Falls back to the value's offset.
 */
export function tagOffset(source: string, valueOffset: number): number {
  let end = valueOffset - 1;
  for (let properties = 0; properties < 2; properties++) {
    while (end >= 0 && /\s/.test(source[end] ?? '')) end--;
    if (end < 0) break;
    let start = end;
    if (source[end] === '>') {
      // verbatim tag `!<tag:yaml.org,2002:str>`: may hold commas
      start = source.lastIndexOf('!<', end);
      if (start < 0) break;
    } else {
      while (start > 0 && !/[\s[\]{},]/.test(source[start - 1] ?? '')) start--;
    }
    if (source[start] === '!') return start;
    if (source[start] !== '&') break;
    end = start - 1;
  }
  return valueOffset;
}
