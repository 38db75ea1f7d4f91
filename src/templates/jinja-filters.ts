/**
 * Jinja2's filters and tests where nunjucks has none or behaves differently, registered
 * over nunjucks' own: `default`, `tojson`, `format`, `string`, `round`, `truncate`, the
 * list and dict filters of jinja-sequence-filters.ts, and the tests `none`, `true`,
 * `false`, `boolean`, `integer`, `float`, `in`, `sequence`, `eq`/`equalto`/`ne` (Python
 * equality).
 */
import { TaskflowError } from '../errors.js';
import { isTruthy } from './is-truthy.js';
import { argument, splitArguments, type Filter } from './jinja-filter-kit.js';
import { sequenceFilters } from './jinja-sequence-filters.js';
import { percentFormat } from './percent-format.js';
import { floatDigits } from './python-number-format.js';
import { methodOwner, pythonEquals } from './python-methods.js';
import { toJsonFilter } from './python-json.js';
import { contains } from './python-operators.js';
import { pythonStr } from './python-repr.js';

export { splitArguments } from './jinja-filter-kit.js';

/** Jinja2's `default(value, default_value='', boolean=False)`, with Python truthiness. */
const defaultFilter: Filter = (value, ...args) => {
  const { positional, keywords } = splitArguments(args);
  const fallback = positional.length > 0 ? positional[0] : (keywords['default_value'] ?? '');
  const boolean = argument(positional, keywords, 1, 'boolean');
  return value === undefined || (isTruthy(boolean) && !isTruthy(value)) ? fallback : value;
};

const valueFilters: Readonly<Record<string, Filter>> = {
  default: defaultFilter,
  d: defaultFilter,
  tojson(value, ...args) {
    const { positional, keywords } = splitArguments(args);
    return toJsonFilter(value, argument(positional, keywords, 0, 'indent'));
  },
  format(value, ...args) {
    const { positional, keywords } = splitArguments(args);
    const { __keywords: _marker, ...named } = keywords;
    const hasNamed = Object.keys(named).length > 0;
    if (positional.length > 0 && hasNamed)
      throw new TaskflowError(
        'template',
        "format: can't handle positional and keyword arguments at the same time",
      );
    return percentFormat(pythonStr(value), positional, hasNamed ? named : undefined);
  },
  string(value) {
    return pythonStr(value);
  },
  /** `round(value, precision=0, method='common')`: ties to even, as Python's round(). */
  round(value, ...args) {
    const { positional, keywords } = splitArguments(args);
    const precision = Number(argument(positional, keywords, 0, 'precision') ?? 0);
    const method = argument(positional, keywords, 1, 'method') ?? 'common';
    const number = Number(value);
    if (method === 'common') {
      const digits = floatDigits(number, 'f', Math.max(0, precision), false);
      return (number < 0 ? -1 : 1) * Number(digits);
    }
    if (method !== 'ceil' && method !== 'floor')
      throw new TaskflowError('template', 'round: method must be common, ceil or floor');
    const factor = 10 ** precision;
    return (method === 'ceil' ? Math.ceil : Math.floor)(number * factor) / factor;
  },
  /** `truncate(s, length=255, killwords=False, end='...', leeway=5)`. */
  truncate(value, ...args) {
    const { positional, keywords } = splitArguments(args);
    const text = pythonStr(value);
    const length = Number(argument(positional, keywords, 0, 'length') ?? 255);
    const killWords = isTruthy(argument(positional, keywords, 1, 'killwords'));
    const end = pythonStr(argument(positional, keywords, 2, 'end') ?? '...');
    const leeway = Number(argument(positional, keywords, 3, 'leeway') ?? 5);
    if (text.length <= length + leeway) return text;
    const kept = text.slice(0, Math.max(0, length - end.length));
    if (killWords) return kept + end;
    const space = kept.lastIndexOf(' ');
    return (space < 0 ? kept : kept.slice(0, space)) + end;
  },
};

/** Filters to register on the environment (replacing nunjucks' own of the same name). */
export const jinjaFilters = { ...sequenceFilters, ...valueFilters } as Readonly<
  Record<string, (...args: unknown[]) => unknown>
>;

/** Tests to register on the environment (replacing nunjucks' own of the same name). */
export const jinjaTests: Readonly<Record<string, (value: unknown, ...args: unknown[]) => boolean>> =
  {
    none: (value) => value === null,
    true: (value) => value === true,
    false: (value) => value === false,
    boolean: (value) => typeof value === 'boolean',
    integer: (value) => typeof value === 'number' && Number.isInteger(value),
    float: (value) => typeof value === 'number' && !Number.isInteger(value),
    in: (value, container) => contains(container, value),
    sequence: (value) => methodOwner(value) !== undefined,
    eq: (value, other) => pythonEquals(value, other),
    equalto: (value, other) => pythonEquals(value, other),
    ne: (value, other) => !pythonEquals(value, other),
  };
