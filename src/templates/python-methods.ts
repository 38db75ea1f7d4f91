/**
 * The Python methods that Jinja2 templates call on data: `dict.get/items/keys/values`,
 * `str.upper/lower/strip/startswith/endswith/split/replace/format/...`, `list.index/count`.
 * Each is looked up in an own-property table by the value's Python type, so nothing else
 * (no JS method, no inherited member) is reachable through a method call. Methods that
 * would change data (`append`, `update`, `pop`...) are left out on purpose: globals and
 * outputs are shared by every later task.
 */
import { TaskflowError } from '../errors.js';
import { isSafeString } from './nunjucks-internals.js';
import { pythonStr, tagSequence } from './python-repr.js';
import { strFormat } from './str-format.js';
import {
  capitalizeText,
  isPythonSpace,
  splitLines,
  splitText,
  stripText,
  titleCase,
} from './python-strings.js';

type Keywords = Readonly<Record<string, unknown>>;
type Method<Self> = (self: Self, args: readonly unknown[], keywords: Keywords) => unknown;

/** Outcome of a method lookup: absent when the value's type has no such method. */
export type MethodCall = { readonly value: unknown } | undefined;

/** Python type of `value` for method lookup, or undefined when it has no methods here. */
export function methodOwner(value: unknown): 'str' | 'dict' | 'list' | undefined {
  if (typeof value === 'string' || value instanceof String || isSafeString(value)) return 'str';
  if (Array.isArray(value)) return 'list';
  if (typeof value !== 'object' || value === null) return undefined;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null ? 'dict' : undefined;
}

/** Call Python method `name` on `target`; undefined when its type has none by that name. */
export function callPythonMethod(
  target: unknown,
  name: string,
  args: readonly unknown[],
  keywords: Keywords,
): MethodCall {
  switch (methodOwner(target)) {
    case 'str':
      return Object.hasOwn(STRING_METHODS, name)
        ? { value: STRING_METHODS[name]?.(String(target), args, keywords) }
        : undefined;
    case 'list':
      return Object.hasOwn(LIST_METHODS, name)
        ? { value: LIST_METHODS[name]?.(target as unknown[], args, keywords) }
        : undefined;
    case 'dict':
      return Object.hasOwn(DICT_METHODS, name)
        ? { value: DICT_METHODS[name]?.(target as Record<string, unknown>, args, keywords) }
        : undefined;
    default:
      return undefined;
  }
}

/** Python's argument binding for `name(parameters...)`: positional, then by keyword. */
function bind(
  name: string,
  parameters: readonly string[],
  args: readonly unknown[],
  keywords: Keywords,
): unknown[] {
  if (args.length > parameters.length)
    throw methodError(
      `${name}() takes at most ${parameters.length} arguments (${args.length} given)`,
    );
  const bound: unknown[] = [...args];
  for (const [key, value] of Object.entries(keywords)) {
    if (key === '__keywords') continue;
    const position = parameters.indexOf(key);
    if (position < 0) throw methodError(`${name}() got an unexpected keyword argument '${key}'`);
    bound[position] = value;
  }
  return bound;
}

const none = (value: unknown) => value === undefined || value === null;
const text = (value: unknown, name: string): string => {
  if (typeof value === 'string') return value;
  if (value instanceof String || isSafeString(value)) return String(value);
  throw methodError(`${name}: expected a str, got ${pythonStr(value)}`);
};

const optionalText = (value: unknown, name: string): string | undefined =>
  none(value) ? undefined : text(value, name);

/** start/end arguments as Python slice bounds over `length`. */
function bounds(length: number, start: unknown, end: unknown): [number, number] {
  const clamp = (value: unknown, fallback: number) => {
    if (none(value)) return fallback;
    const index = Number(value);
    return index < 0 ? Math.max(0, index + length) : Math.min(index, length);
  };
  return [clamp(start, 0), clamp(end, length)];
}

function affix(self: string, name: string, args: readonly unknown[], keywords: Keywords): boolean {
  const [prefix, start, end] = bind(name, ['prefix', 'start', 'end'], args, keywords);
  const [from, to] = bounds(self.length, start, end);
  const part = self.slice(from, to);
  const options = Array.isArray(prefix) ? prefix : [prefix];
  return options.some((option) => {
    const affixText = text(option, name);
    return name === 'startswith' ? part.startsWith(affixText) : part.endsWith(affixText);
  });
}

function search(self: string, name: string, args: readonly unknown[], keywords: Keywords): number {
  const [sub, start, end] = bind(name, ['sub', 'start', 'end'], args, keywords);
  const [from, to] = bounds(self.length, start, end);
  const part = self.slice(from, to);
  const needle = text(sub, name);
  const found = name.startsWith('r') ? part.lastIndexOf(needle) : part.indexOf(needle);
  if (found < 0 && name.endsWith('index')) throw methodError('substring not found');
  return found < 0 || to < from ? -1 : found + from;
}

function justify(self: string, name: string, args: readonly unknown[], keywords: Keywords): string {
  const [width, fill = ' '] = bind(name, ['width', 'fillchar'], args, keywords);
  const missing = Number(width) - self.length;
  const fillText = text(fill, name);
  if (missing <= 0) return self;
  if (name === 'ljust') return self + fillText.repeat(missing);
  if (name === 'rjust') return fillText.repeat(missing) + self;
  const left = Math.floor(missing / 2) + (missing & Number(width) & 1);
  return fillText.repeat(left) + self + fillText.repeat(missing - left);
}

function replace(self: string, args: readonly unknown[], keywords: Keywords): string {
  const [old, replacement, count = -1] = bind('replace', ['old', 'new', 'count'], args, keywords);
  const oldText = text(old, 'replace');
  const newText = text(replacement, 'replace');
  let remaining = Number(count) < 0 ? Infinity : Number(count);
  if (oldText === '') {
    const characters = [...self];
    let output = '';
    for (const character of characters) {
      output += remaining-- > 0 ? newText + character : character;
    }
    return remaining > 0 ? output + newText : output;
  }
  let output = '';
  let index = 0;
  for (
    let found = self.indexOf(oldText);
    found >= 0 && remaining > 0;
    found = self.indexOf(oldText, index)
  ) {
    output += self.slice(index, found) + newText;
    index = found + oldText.length;
    remaining -= 1;
  }
  return output + self.slice(index);
}

const characterTest = (pattern: RegExp) => (self: string) =>
  self.length > 0 && [...self].every((c) => pattern.test(c));

const STRING_METHODS: Readonly<Record<string, Method<string>>> = {
  upper: (self) => self.toUpperCase(),
  lower: (self) => self.toLowerCase(),
  casefold: (self) => self.toLowerCase(),
  swapcase: (self) =>
    [...self].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(''),
  title: (self) => titleCase(self),
  capitalize: (self) => capitalizeText(self),
  strip: (self, args, keywords) =>
    stripText(self, 'both', optionalText(bind('strip', ['chars'], args, keywords)[0], 'strip')),
  lstrip: (self, args, keywords) =>
    stripText(self, 'start', optionalText(bind('lstrip', ['chars'], args, keywords)[0], 'lstrip')),
  rstrip: (self, args, keywords) =>
    stripText(self, 'end', optionalText(bind('rstrip', ['chars'], args, keywords)[0], 'rstrip')),
  startswith: (self, args, keywords) => affix(self, 'startswith', args, keywords),
  endswith: (self, args, keywords) => affix(self, 'endswith', args, keywords),
  split: (self, args, keywords) => splitText(self, false, ...bindSplit('split', args, keywords)),
  rsplit: (self, args, keywords) => splitText(self, true, ...bindSplit('rsplit', args, keywords)),
  splitlines: (self, args, keywords) =>
    splitLines(self, Boolean(bind('splitlines', ['keepends'], args, keywords)[0])),
  replace,
  format: (self, args, keywords) => strFormat(self, args, withoutMarker(keywords)),
  join: (self, args, keywords) => {
    const [items] = bind('join', ['iterable'], args, keywords);
    if (!Array.isArray(items)) throw methodError('join() expects a list');
    return items.map(pythonStr).join(self);
  },
  count: (self, args, keywords) => {
    const [sub, start, end] = bind('count', ['sub', 'start', 'end'], args, keywords);
    const [from, to] = bounds(self.length, start, end);
    const needle = text(sub, 'count');
    if (needle === '') return Math.max(0, to - from) + 1;
    return self.slice(from, to).split(needle).length - 1;
  },
  find: (self, args, keywords) => search(self, 'find', args, keywords),
  rfind: (self, args, keywords) => search(self, 'rfind', args, keywords),
  index: (self, args, keywords) => search(self, 'index', args, keywords),
  rindex: (self, args, keywords) => search(self, 'rindex', args, keywords),
  isdigit: characterTest(/\p{Nd}/u),
  isalpha: characterTest(/\p{L}/u),
  isalnum: characterTest(/[\p{L}\p{N}]/u),
  isspace: (self) => self.length > 0 && [...self].every(isPythonSpace),
  islower: (self) => /\p{Ll}/u.test(self) && !/[\p{Lu}\p{Lt}]/u.test(self),
  isupper: (self) => /\p{Lu}/u.test(self) && !/[\p{Ll}\p{Lt}]/u.test(self),
  zfill: (self, args, keywords) => {
    const width = Number(bind('zfill', ['width'], args, keywords)[0]);
    const sign = /^[+-]/.test(self) ? self.slice(0, 1) : '';
    return sign + self.slice(sign.length).padStart(width - sign.length, '0');
  },
  ljust: (self, args, keywords) => justify(self, 'ljust', args, keywords),
  rjust: (self, args, keywords) => justify(self, 'rjust', args, keywords),
  center: (self, args, keywords) => justify(self, 'center', args, keywords),
  removeprefix: (self, args, keywords) => {
    const prefix = text(bind('removeprefix', ['prefix'], args, keywords)[0], 'removeprefix');
    return prefix !== '' && self.startsWith(prefix) ? self.slice(prefix.length) : self;
  },
  removesuffix: (self, args, keywords) => {
    const suffix = text(bind('removesuffix', ['suffix'], args, keywords)[0], 'removesuffix');
    return suffix !== '' && self.endsWith(suffix) ? self.slice(0, -suffix.length) : self;
  },
};

function bindSplit(
  name: string,
  args: readonly unknown[],
  keywords: Keywords,
): [string | undefined, number] {
  const [separator, maxsplit] = bind(name, ['sep', 'maxsplit'], args, keywords);
  const separatorText = none(separator) ? undefined : text(separator, name);
  if (separatorText === '') throw methodError('empty separator');
  return [separatorText, none(maxsplit) ? -1 : Number(maxsplit)];
}

function withoutMarker(keywords: Keywords): Keywords {
  const { __keywords: _marker, ...rest } = keywords;
  return rest;
}

const DICT_METHODS: Readonly<Record<string, Method<Record<string, unknown>>>> = {
  get: (self, args, keywords) => {
    const [key, fallback] = bind('get', ['key', 'default'], args, keywords);
    const name = String(key);
    return Object.hasOwn(self, name) ? self[name] : (fallback ?? null);
  },
  items: (self) =>
    tagSequence(
      Object.entries(self).map((entry) => tagSequence(entry, 'tuple')),
      'dict_items',
    ),
  keys: (self) => tagSequence(Object.keys(self), 'dict_keys'),
  values: (self) => tagSequence(Object.values(self), 'dict_values'),
  copy: (self) => ({ ...self }),
};

const LIST_METHODS: Readonly<Record<string, Method<unknown[]>>> = {
  index: (self, args, keywords) => {
    const [value, start, end] = bind('index', ['value', 'start', 'end'], args, keywords);
    const [from, to] = bounds(self.length, start, end);
    for (let index = from; index < to; index += 1)
      if (pythonEquals(self[index], value)) return index;
    throw methodError(`${pythonStr(value)} is not in list`);
  },
  count: (self, args, keywords) => {
    const [value] = bind('count', ['value'], args, keywords);
    return self.filter((item) => pythonEquals(item, value)).length;
  },
  copy: (self) => [...self],
};

/** Python `==` on JSON-like data: by value for lists and dicts. */
export function pythonEquals(left: unknown, right: unknown): boolean {
  if (left === right) return true;
  const numeric = (value: unknown) => typeof value === 'boolean' || typeof value === 'number';
  if (numeric(left) || numeric(right))
    return numeric(left) && numeric(right) && Number(left) === Number(right);
  const owner = methodOwner(left);
  if (owner === undefined || owner !== methodOwner(right)) return false;
  if (owner === 'str') return String(left) === String(right);
  if (Array.isArray(left) && Array.isArray(right))
    return (
      left.length === right.length && left.every((item, index) => pythonEquals(item, right[index]))
    );
  const leftRecord = left as Record<string, unknown>;
  const rightRecord = right as Record<string, unknown>;
  const keys = Object.keys(leftRecord);
  return (
    keys.length === Object.keys(rightRecord).length &&
    keys.every(
      (key) => Object.hasOwn(rightRecord, key) && pythonEquals(leftRecord[key], rightRecord[key]),
    )
  );
}

function methodError(message: string): TaskflowError {
  return new TaskflowError('template', message);
}

/**
 * Python's `value[start:stop:step]` on a str or list (None = open end, negatives count from
 * the end).
 * @throws TaskflowError 'template' for another type, a non-integer bound or a zero step.
 */
export function pythonSlice(value: unknown, start: unknown, stop: unknown, step: unknown): unknown {
  const owner = methodOwner(value);
  if (owner !== 'str' && owner !== 'list')
    throw methodError(`cannot slice ${pythonStr(value)}: only a str or a list can be sliced`);
  const integer = (bound: unknown): number | undefined => {
    if (none(bound)) return undefined;
    if (typeof bound === 'number' && Number.isInteger(bound)) return bound;
    throw methodError('slice indices must be integers or None');
  };
  const stride = integer(step) ?? 1;
  if (stride === 0) throw methodError('slice step cannot be zero');
  const items = owner === 'str' ? [...String(value)] : (value as unknown[]);
  const length = items.length;
  const adjust = (bound: number | undefined, fallback: number): number => {
    if (bound === undefined) return fallback;
    const index = bound < 0 ? bound + length : bound;
    if (index < 0) return stride < 0 ? -1 : 0;
    return index >= length ? (stride < 0 ? length - 1 : length) : index;
  };
  const from = adjust(integer(start), stride < 0 ? length - 1 : 0);
  const to = adjust(integer(stop), stride < 0 ? -1 : length);
  const picked: unknown[] = [];
  for (let index = from; stride > 0 ? index < to : index > to; index += stride)
    picked.push(items[index]);
  return owner === 'str' ? picked.join('') : picked;
}
