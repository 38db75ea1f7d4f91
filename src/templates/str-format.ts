/**
 * Python's `str.format`: `{}` / `{0}` / `{name}` fields with `.attr` and `[key]` access,
 * `!r`/`!s`/`!a` conversions and the format-spec mini-language
 * (`[[fill]align][sign][#][0][width][,|_][.precision][type]`), one level of nested fields
 * inside a spec (`{:{width}}`).
 */
import { TaskflowError } from '../errors.js';
import { pythonFloat, pythonRepr, pythonStr } from './python-repr.js';
import {
  floatDigits,
  groupDigits,
  integerDigits,
  type FloatType,
  type IntegerType,
} from './python-number-format.js';
import { pythonTypeName } from './percent-format.js';

const SPEC =
  /^(?:([\s\S])?([<>=^]))?([-+ ])?(z)?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/;

/**
 * `template.format(*args, **keywords)`.
 * @throws TaskflowError 'template' where Python raises (unmatched braces, a missing
 *   argument, mixed automatic and manual numbering, a spec the value's type rejects).
 */
export function strFormat(
  template: string,
  args: readonly unknown[],
  keywords: Readonly<Record<string, unknown>>,
): string {
  const state = { next: 0, numbering: undefined as 'auto' | 'manual' | undefined };
  const fieldValue = (field: string): unknown => lookUpField(field, args, keywords, state);
  return substitute(template, fieldValue, 2);
}

function substitute(
  template: string,
  fieldValue: (field: string) => unknown,
  depth: number,
): string {
  let output = '';
  for (let index = 0; index < template.length; index += 1) {
    const character = template[index];
    if (character === '}') {
      if (template[index + 1] !== '}') throw formatError("Single '}' encountered in format string");
      output += '}';
      index += 1;
    } else if (character !== '{') {
      output += character;
    } else if (template[index + 1] === '{') {
      output += '{';
      index += 1;
    } else {
      const end = closingBrace(template, index);
      output += replaceField(template.slice(index + 1, end), fieldValue, depth);
      index = end;
    }
  }
  return output;
}

function closingBrace(template: string, open: number): number {
  let level = 0;
  for (let index = open; index < template.length; index += 1) {
    if (template[index] === '{') level += 1;
    else if (template[index] === '}' && --level === 0) return index;
  }
  throw formatError("Single '{' encountered in format string");
}

function replaceField(
  field: string,
  fieldValue: (field: string) => unknown,
  depth: number,
): string {
  if (depth === 0) throw formatError('Max string recursion exceeded');
  let nameEnd = 0;
  for (let inBrackets = false; nameEnd < field.length; nameEnd += 1) {
    const character = field[nameEnd];
    if (character === '[') inBrackets = true;
    else if (character === ']') inBrackets = false;
    else if (!inBrackets && (character === '!' || character === ':')) break;
  }
  let rest = field.slice(nameEnd);
  let conversion = '';
  if (rest.startsWith('!')) {
    conversion = rest[1] ?? '';
    rest = rest.slice(2);
    if (!'rsa'.includes(conversion) || conversion === '' || (rest !== '' && !rest.startsWith(':')))
      throw formatError('expected ":" after conversion specifier');
  }
  const spec = substitute(rest.slice(1), fieldValue, depth - 1);
  let value = fieldValue(field.slice(0, nameEnd));
  if (conversion !== '') value = conversion === 's' ? pythonStr(value) : pythonRepr(value);
  return formatValue(value, spec);
}

function lookUpField(
  field: string,
  args: readonly unknown[],
  keywords: Readonly<Record<string, unknown>>,
  state: { next: number; numbering: 'auto' | 'manual' | undefined },
): unknown {
  const head = /^[^.[]*/.exec(field)?.[0] ?? '';
  const numbering = head === '' ? 'auto' : 'manual';
  if (/^\d*$/.test(head)) {
    if (state.numbering !== undefined && state.numbering !== numbering)
      throw formatError(
        `cannot switch from ${state.numbering === 'auto' ? 'automatic field numbering to manual field specification' : 'manual field specification to automatic field numbering'}`,
      );
    state.numbering = numbering;
  }
  let value: unknown;
  if (/^\d*$/.test(head)) {
    const position = head === '' ? state.next++ : Number(head);
    if (position >= args.length)
      throw formatError(`Replacement index ${position} out of range for positional args tuple`);
    value = args[position];
  } else {
    if (!Object.hasOwn(keywords, head)) throw formatError(`KeyError: '${head}'`);
    value = keywords[head];
  }
  const accessors = /\.([^.[]+)|\[([^\]]+)\]/gy;
  accessors.lastIndex = head.length;
  for (let match = accessors.exec(field); match; match = accessors.exec(field)) {
    const key = match[1] ?? match[2] ?? '';
    value = member(value, match[2] !== undefined && /^\d+$/.test(key) ? Number(key) : key, field);
  }
  return value;
}

/** Own data of a dict or list only (never inherited JS members). */
function member(value: unknown, key: string | number, field: string): unknown {
  if (typeof value === 'object' && value !== null && Object.hasOwn(value, key))
    return (value as Record<string | number, unknown>)[key];
  throw formatError(`cannot look up ${JSON.stringify(String(key))} in field "{${field}}"`);
}

/** `format(value, spec)` for the value types JSON data has. */
function formatValue(value: unknown, spec: string): string {
  const match = SPEC.exec(spec);
  if (!match)
    throw formatError(
      `Invalid format specifier '${spec}' for object of type '${pythonTypeName(value)}'`,
    );
  const [, fill, align, sign, , alternate, zero, widthText, grouping, precisionText, type] = match;
  const width = widthText === undefined ? 0 : Number(widthText);
  const precision = precisionText === undefined ? undefined : Number(precisionText);
  const isNumber = typeof value === 'number' || (typeof value === 'boolean' && spec !== '');
  if (!isNumber) {
    if (typeof value !== 'string' && !(value instanceof String) && spec !== '')
      throw formatError(`unsupported format string passed to ${pythonTypeName(value)}.__format__`);
    if (type !== undefined && type !== 's')
      throw formatError(`Unknown format code '${type}' for object of type 'str'`);
    const text = pythonStr(value);
    const cut = precision === undefined ? text : [...text].slice(0, precision).join('');
    return align === '=' ? cut : pad(cut, width, align ?? '<', fill ?? ' ');
  }
  const number = Number(value);
  const body = numberBody(number, type, precision, alternate !== undefined, grouping);
  const negative =
    number < 0 || (Object.is(number, -0) && type !== undefined && 'eEfFgG%'.includes(type));
  const signText = negative ? '-' : sign === '+' ? '+' : sign === ' ' ? ' ' : '';
  const useZeros = zero !== undefined && align === undefined;
  return pad(
    signText + body,
    width,
    useZeros ? '=' : (align ?? '>'),
    useZeros ? '0' : (fill ?? ' '),
    signText.length + prefixLength(body),
  );
}

function numberBody(
  number: number,
  type: string | undefined,
  precision: number | undefined,
  alternate: boolean,
  grouping: string | undefined,
): string {
  const integral = Number.isInteger(number) && (type === undefined || 'dnxXobc'.includes(type));
  if (type === 'c') return String.fromCodePoint(Math.abs(number));
  if (type !== undefined && 'xXobd'.includes(type) && !Number.isInteger(number))
    throw formatError(`Unknown format code '${type}' for object of type 'float'`);
  if (integral && precision !== undefined)
    throw formatError('Precision not allowed in integer format specifier');
  if (integral) {
    const base = type === undefined || type === 'n' ? 'd' : (type as IntegerType);
    const digits = integerDigits(number, base, alternate);
    return grouping === undefined ? digits : groupDigits(digits, grouping, base === 'd' ? 3 : 4);
  }
  let digits: string;
  if (type === undefined && precision === undefined) {
    digits = pythonFloat(Math.abs(number));
  } else {
    const floatType = type === undefined || type === 'n' ? 'g' : (type as FloatType);
    digits = floatDigits(number, floatType, precision, alternate);
    if (type === undefined && !/[.eEn]/.test(digits)) digits += '.0';
  }
  return grouping === undefined ? digits : groupDigits(digits, grouping);
}

function prefixLength(body: string): number {
  return /^0[xXob]/.test(body) ? 2 : 0;
}

function pad(text: string, width: number, align: string, fill: string, signLength = 0): string {
  const missing = width - [...text].length;
  if (missing <= 0) return text;
  switch (align) {
    case '<':
      return text + fill.repeat(missing);
    case '^': {
      const before = Math.floor(missing / 2);
      return fill.repeat(before) + text + fill.repeat(missing - before);
    }
    case '=':
      return text.slice(0, signLength) + fill.repeat(missing) + text.slice(signLength);
    default:
      return fill.repeat(missing) + text;
  }
}

function formatError(message: string): TaskflowError {
  return new TaskflowError('template', message);
}
