/**
 * Declared rate limits for endpoints that send no rate-limit headers (scale-out.md
 * "Pacing"): `model_settings.<model>.rate_limits` in a model config and the
 * `TASKFLOW_RATE_LIMITS` variable for one-off runs. Pure parsing and validation; the
 * definitions loader and the CLI turn the issues into positioned errors.
 */
import { TaskflowError } from '../errors.js';

/** Limits a user declares for one model; every field optional. */
export interface DeclaredRateLimits {
  readonly requestsPerMinute?: number;
  readonly tokensPerMinute?: number;
  /** Requests in flight at once (never raised by the pacer's adaptation). */
  readonly concurrentRequests?: number;
  readonly requestsPerDay?: number;
}

type LimitKey = keyof DeclaredRateLimits;

interface FieldRule {
  readonly key: LimitKey;
  readonly yamlKey: string;
  readonly integer: boolean;
  readonly max: number;
}

const fields: readonly FieldRule[] = [
  { key: 'requestsPerMinute', yamlKey: 'requests_per_minute', integer: false, max: 1e9 },
  { key: 'tokensPerMinute', yamlKey: 'tokens_per_minute', integer: false, max: 1e12 },
  { key: 'concurrentRequests', yamlKey: 'concurrent_requests', integer: true, max: 10_000 },
  { key: 'requestsPerDay', yamlKey: 'requests_per_day', integer: false, max: 1e12 },
];

/** Short spellings accepted in `TASKFLOW_RATE_LIMITS` only. */
const envAliases: Readonly<Record<string, string>> = {
  rpm: 'requests_per_minute',
  tpm: 'tokens_per_minute',
  rpd: 'requests_per_day',
  concurrency: 'concurrent_requests',
};

const validKeys = fields.map((field) => field.yamlKey).join(', ');

/** One problem, at `path` below `rate_limits` (empty: the value itself). */
export interface RateLimitIssue {
  readonly path: readonly string[];
  readonly message: string;
  /** The key itself is wrong (not its value): a position should point at the key. */
  readonly unknownKey?: boolean;
}

function ruleFor(name: string): FieldRule | undefined {
  return fields.find((field) => field.yamlKey === name);
}

function checkValue(rule: FieldRule, value: unknown): string | undefined {
  const fine =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value > 0 &&
    value <= rule.max &&
    (!rule.integer || Number.isInteger(value));
  if (fine) return undefined;
  const what = rule.integer ? 'an integer' : 'a number';
  const range = rule.integer ? `from 1 to ${rule.max}` : `above 0, at most ${rule.max}`;
  return `must be ${what} ${range}, got ${JSON.stringify(value) ?? String(value)}`;
}

/**
 * Validates the value of `rate_limits` (a mapping of the keys above to positive numbers;
 * `concurrent_requests` an integer). Collects every issue; `null`/`undefined` is no limits.
 */
export function validateRateLimits(raw: unknown): {
  limits: DeclaredRateLimits;
  issues: RateLimitIssue[];
} {
  if (raw === undefined || raw === null) return { limits: {}, issues: [] };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    const message = `must be a mapping of ${validKeys}`;
    return { limits: {}, issues: [{ path: [], message }] };
  }
  const issues: RateLimitIssue[] = [];
  const limits: Partial<Record<LimitKey, number>> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    const rule = ruleFor(name);
    if (rule === undefined) {
      const message = `unknown rate limit (valid: ${validKeys})`;
      issues.push({ path: [name], message, unknownKey: true });
      continue;
    }
    const problem = checkValue(rule, value);
    if (problem === undefined) limits[rule.key] = value as number;
    else issues.push({ path: [name], message: problem });
  }
  return { limits, issues };
}

/**
 * `validateRateLimits` that throws: one `TaskflowError` code `config` whose message starts
 * with `where` (e.g. `model_settings.fast.rate_limits`) and whose details list the issues.
 */
export function parseRateLimits(raw: unknown, where = 'rate_limits'): DeclaredRateLimits {
  const { limits, issues } = validateRateLimits(raw);
  if (issues.length === 0) return limits;
  const paths = issues.map((issue) => [where, ...issue.path].join('.'));
  const lines = issues.map((issue, index) => `${paths[index] ?? where}: ${issue.message}`);
  if (lines.length === 1)
    return fail('config', lines[0] ?? where, { fieldPath: paths[0] ?? where });
  const message = `${where}: ${lines.length} invalid rate limits`;
  return fail('config', message, { fieldPath: where, details: lines });
}

function fail(
  code: 'config' | 'usage',
  message: string,
  fields: { fieldPath?: string; details?: readonly string[] },
): never {
  throw new TaskflowError(code, message, fields);
}

/** `TASKFLOW_RATE_LIMITS`, parsed: limits for every model, and limits for named models. */
export interface RateLimitsFromEnvironment {
  readonly everyModel?: DeclaredRateLimits;
  /** Keyed by the name written: a model config key or a provider model id. */
  readonly byModel: ReadonlyMap<string, DeclaredRateLimits>;
}

interface Located {
  readonly text: string;
  /** 1-based column of `text` in the variable's value. */
  readonly column: number;
}

/** Splits `text` (starting at `column`) at `separator`, keeping trimmed pieces and their columns. */
function split(piece: Located, separator: string): Located[] {
  const parts: Located[] = [];
  let offset = 0;
  for (const part of piece.text.split(separator)) {
    const lead = part.length - part.trimStart().length;
    parts.push({ text: part.trim(), column: piece.column + offset + lead });
    offset += part.length + separator.length;
  }
  return parts;
}

/**
 * Parses `TASKFLOW_RATE_LIMITS`: entries separated by `;`, each `[model:]key=value,...`
 * with the keys of `rate_limits` (or `rpm`, `tpm`, `rpd`, `concurrency`). An entry without
 * a model applies to every model; the model is whatever precedes the last `:` before the
 * first `=`, so ids like `llama3:8b` work. Collects every issue; throws one `TaskflowError`
 * code `usage` positioned as `NAME:1:column`. An empty value means no limits.
 */
export function parseRateLimitsEnvironment(
  value: string,
  name = 'TASKFLOW_RATE_LIMITS',
): RateLimitsFromEnvironment {
  const issues: string[] = [];
  const byModel = new Map<string, DeclaredRateLimits>();
  let everyModel: DeclaredRateLimits | undefined;
  for (const entry of split({ text: value, column: 1 }, ';')) {
    if (entry.text === '') continue;
    const equals = entry.text.indexOf('=');
    const scopeEnd = equals === -1 ? -1 : entry.text.lastIndexOf(':', equals);
    const model = scopeEnd === -1 ? undefined : entry.text.slice(0, scopeEnd).trim();
    const pairs = { text: entry.text.slice(scopeEnd + 1), column: entry.column + scopeEnd + 1 };
    const limits: Partial<Record<LimitKey, number>> = {};
    for (const pair of split(pairs, ',')) {
      const at = (column: number, message: string) =>
        issues.push(`${name}:1:${column}: ${message}`);
      const separator = pair.text.indexOf('=');
      if (separator === -1) {
        at(pair.column, `expected key=value, got ${JSON.stringify(pair.text)}`);
        continue;
      }
      const written = pair.text.slice(0, separator).trim();
      const rule = ruleFor(envAliases[written] ?? written);
      if (rule === undefined) {
        at(pair.column, `unknown rate limit ${JSON.stringify(written)} (valid: ${validKeys})`);
        continue;
      }
      const valueText = pair.text.slice(separator + 1).trim();
      const valueColumn = pair.column + separator + 1;
      const number = /^\d+(?:\.\d+)?$/.test(valueText) ? Number(valueText) : Number.NaN;
      const problem = checkValue(rule, Number.isNaN(number) ? valueText : number);
      if (problem !== undefined) at(valueColumn, `${rule.yamlKey} ${problem}`);
      else limits[rule.key] = number;
    }
    if (model === '') issues.push(`${name}:1:${entry.column}: empty model name before ":"`);
    else if (model === undefined) everyModel = { ...everyModel, ...limits };
    else byModel.set(model, { ...byModel.get(model), ...limits });
  }
  if (issues.length > 0) {
    const message = issues.length === 1 ? (issues[0] ?? name) : `${name}: ${issues.length} errors`;
    fail('usage', message, { fieldPath: name, details: issues.length > 1 ? issues : [] });
  }
  return { ...(everyModel !== undefined && { everyModel }), byModel };
}

/**
 * The limits that apply to one model: the model config's, overridden key by key by the
 * variable's limits for every model, then by its limits for this model (named by config
 * key or provider id, the config key winning). Undefined when nothing is declared.
 */
export function declaredRateLimitsFor(
  model: { readonly logicalName: string; readonly providerModel: string },
  fromConfig: DeclaredRateLimits | undefined,
  fromEnvironment: RateLimitsFromEnvironment | undefined,
): DeclaredRateLimits | undefined {
  const merged: DeclaredRateLimits = {
    ...fromConfig,
    ...fromEnvironment?.everyModel,
    ...fromEnvironment?.byModel.get(model.providerModel),
    ...fromEnvironment?.byModel.get(model.logicalName),
  };
  return Object.keys(merged).length === 0 ? undefined : merged;
}
