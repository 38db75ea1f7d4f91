/**
 * Jinja2's filters over lists and dicts where nunjucks has none or differs: `map`,
 * `select`/`reject`, `selectattr`/`rejectattr`, `join`, `list`, `items`, `dictsort`,
 * `sum`, `unique`, `min`, `max`. Those that return a generator in Jinja2 return a list.
 */
import { TaskflowError } from '../errors.js';
import { isTruthy } from './is-truthy.js';
import {
  argument,
  attribute,
  iterate,
  requiredAttribute,
  splitArguments,
  type Filter,
  type FilterContext,
} from './jinja-filter-kit.js';
import { methodOwner, pythonEquals } from './python-methods.js';
import { pythonStr, tagSequence } from './python-repr.js';

/** Items kept by `select`-style filters: by a named test, or by truthiness without one. */
function selection(
  context: FilterContext,
  items: unknown[],
  args: readonly unknown[],
  keep: boolean,
  valueOf: (item: unknown) => unknown,
): unknown[] {
  const [testName, ...testArgs] = args;
  const test = testName === undefined ? undefined : context.env.getTest(pythonStr(testName));
  return items.filter((item) => {
    const value = valueOf(item);
    const passed = test ? isTruthy(test.call(context, value, ...testArgs)) : isTruthy(value);
    return passed === keep;
  });
}

/** The value a sorting or comparing filter looks at: the attribute, lower-cased unless
 *  case_sensitive (Jinja2's default is case-insensitive). */
function sortKey(item: unknown, path: unknown, caseSensitive: unknown): unknown {
  const value = path === undefined || path === null ? item : requiredAttribute(item, path, 'sort');
  return !isTruthy(caseSensitive) && typeof value === 'string' ? value.toLowerCase() : value;
}

function compareKeys(a: unknown, b: unknown): number {
  if (pythonEquals(a, b)) return 0;
  return (a as number) < (b as number) ? -1 : 1;
}

function extreme(value: unknown, args: unknown[], sign: 1 | -1, filter: string): unknown {
  const { positional, keywords } = splitArguments(args);
  const caseSensitive = argument(positional, keywords, 0, 'case_sensitive');
  const path = argument(positional, keywords, 1, 'attribute');
  const items = iterate(value, filter);
  let best: unknown;
  for (const item of items) {
    const better =
      best === undefined ||
      sign * compareKeys(sortKey(item, path, caseSensitive), sortKey(best, path, caseSensitive)) >
        0;
    if (better) best = item;
  }
  return best;
}

export const sequenceFilters: Readonly<Record<string, Filter>> = {
  map(value, ...args) {
    const items = iterate(value, 'map');
    const { positional, keywords } = splitArguments(args);
    const [filterName, ...filterArgs] = positional;
    if (filterName !== undefined) {
      const filter = this.env.getFilter(pythonStr(filterName));
      const extra = Object.keys(keywords).length > 0 ? [...filterArgs, keywords] : filterArgs;
      return items.map((item) => filter.call(this, item, ...extra));
    }
    const path = argument([], keywords, 0, 'attribute');
    if (path === undefined)
      throw new TaskflowError('template', 'map: needs a filter name or attribute=');
    if (Object.hasOwn(keywords, 'default'))
      return items.map((item) => attribute(item, path) ?? keywords['default']);
    return items.map((item) => requiredAttribute(item, path, 'map'));
  },
  select(value, ...args) {
    const items = iterate(value, 'select');
    return selection(this, items, splitArguments(args).positional, true, (item) => item);
  },
  reject(value, ...args) {
    const items = iterate(value, 'reject');
    return selection(this, items, splitArguments(args).positional, false, (item) => item);
  },
  selectattr(value, ...args) {
    const [path, ...rest] = splitArguments(args).positional;
    return selection(this, iterate(value, 'selectattr'), rest, true, (item) =>
      requiredAttribute(item, path, 'selectattr'),
    );
  },
  rejectattr(value, ...args) {
    const [path, ...rest] = splitArguments(args).positional;
    return selection(this, iterate(value, 'rejectattr'), rest, false, (item) =>
      requiredAttribute(item, path, 'rejectattr'),
    );
  },
  join(value, ...args) {
    const { positional, keywords } = splitArguments(args);
    const separator = argument(positional, keywords, 0, 'd') ?? '';
    const path = argument(positional, keywords, 1, 'attribute');
    const items = iterate(value, 'join');
    const parts =
      path === undefined ? items : items.map((item) => requiredAttribute(item, path, 'join'));
    return parts.map(pythonStr).join(pythonStr(separator));
  },
  list(value) {
    return [...iterate(value, 'list')];
  },
  items(value) {
    if (value === undefined || value === null) return [];
    if (methodOwner(value) !== 'dict')
      throw new TaskflowError('template', `items: ${pythonStr(value)} is not a mapping`);
    return Object.entries(value).map((entry) => tagSequence(entry, 'tuple'));
  },
  dictsort(value, ...args) {
    const { positional, keywords } = splitArguments(args);
    if (methodOwner(value) !== 'dict')
      throw new TaskflowError('template', `dictsort: ${pythonStr(value)} is not a mapping`);
    const caseSensitive = argument(positional, keywords, 0, 'case_sensitive');
    const by = argument(positional, keywords, 1, 'by') ?? 'key';
    if (by !== 'key' && by !== 'value')
      throw new TaskflowError('template', 'dictsort: you can only sort by either "key" or "value"');
    const reverse = isTruthy(argument(positional, keywords, 2, 'reverse')) ? -1 : 1;
    const position = by === 'key' ? 0 : 1;
    const pairs = Object.entries(value as object).map((entry) => tagSequence(entry, 'tuple'));
    return pairs.sort(
      (a, b) =>
        reverse *
        compareKeys(
          sortKey(a[position], undefined, caseSensitive),
          sortKey(b[position], undefined, caseSensitive),
        ),
    );
  },
  sum(value, ...args) {
    const { positional, keywords } = splitArguments(args);
    const path = argument(positional, keywords, 0, 'attribute');
    const start = argument(positional, keywords, 1, 'start') ?? 0;
    const items = iterate(value, 'sum');
    const values =
      path === undefined ? items : items.map((item) => requiredAttribute(item, path, 'sum'));
    return values.reduce((total: number, item) => total + (item as number), start as number);
  },
  unique(value, ...args) {
    const { positional, keywords } = splitArguments(args);
    const caseSensitive = argument(positional, keywords, 0, 'case_sensitive');
    const path = argument(positional, keywords, 1, 'attribute');
    const seen: unknown[] = [];
    return iterate(value, 'unique').filter((item) => {
      const key = sortKey(item, path, caseSensitive);
      if (seen.some((other) => pythonEquals(other, key))) return false;
      seen.push(key);
      return true;
    });
  },
  min(value, ...args) {
    return extreme(value, args, -1, 'min');
  },
  max(value, ...args) {
    return extreme(value, args, 1, 'max');
  },
};
