import { TaskflowError } from '../errors.js';
import {
  HEADERS_TIMEOUT_MS,
  IDLE_TIMEOUT_MS,
  MAX_ATTEMPTS_PER_REQUEST,
  MAX_INLINE_WAIT_MS,
  MAX_WAIT_PER_REQUEST_MS,
  RATE_LIMIT_MAX_ATTEMPTS,
  TRANSIENT_MAX_ATTEMPTS,
} from './delays.js';

/** The tunable numbers of resilience.md, per model. Durations in milliseconds. */
export interface ResilienceSettings {
  /** Attempts of one logical request across layers and resumes. */
  readonly maxAttempts: number;
  readonly transientMaxAttempts: number;
  readonly rateLimitMaxAttempts: number;
  /** Longest server hint slept in-process; longer ones stop resumably. */
  readonly maxInlineWaitMs: number;
  readonly maxWaitPerRequestMs: number;
  /** For the model client's watchdogs. */
  readonly headersTimeoutMs: number;
  readonly idleTimeoutMs: number;
}

export type ResilienceOverrides = Partial<ResilienceSettings>;

export const DEFAULT_RESILIENCE_SETTINGS: ResilienceSettings = {
  maxAttempts: MAX_ATTEMPTS_PER_REQUEST,
  transientMaxAttempts: TRANSIENT_MAX_ATTEMPTS,
  rateLimitMaxAttempts: RATE_LIMIT_MAX_ATTEMPTS,
  maxInlineWaitMs: MAX_INLINE_WAIT_MS,
  maxWaitPerRequestMs: MAX_WAIT_PER_REQUEST_MS,
  headersTimeoutMs: HEADERS_TIMEOUT_MS,
  idleTimeoutMs: IDLE_TIMEOUT_MS,
};

type Key = keyof ResilienceSettings;

/** YAML spelling -> field, with the accepted range. */
const fields: readonly { key: Key; yamlKey: string; min: number; max: number }[] = [
  { key: 'maxAttempts', yamlKey: 'max_attempts', min: 1, max: 100 },
  { key: 'transientMaxAttempts', yamlKey: 'transient_max_attempts', min: 1, max: 100 },
  { key: 'rateLimitMaxAttempts', yamlKey: 'rate_limit_max_attempts', min: 1, max: 100 },
  { key: 'maxInlineWaitMs', yamlKey: 'max_inline_wait_ms', min: 0, max: 86_400_000 },
  { key: 'maxWaitPerRequestMs', yamlKey: 'max_wait_per_request_ms', min: 0, max: 86_400_000 },
  { key: 'headersTimeoutMs', yamlKey: 'headers_timeout_ms', min: 1000, max: 3_600_000 },
  { key: 'idleTimeoutMs', yamlKey: 'idle_timeout_ms', min: 1000, max: 3_600_000 },
];

/**
 * Validates `model_settings.<model>.resilience`. Keys are spelled as in YAML
 * (`max_attempts`) or in camelCase (`maxAttempts`); values are integers in range.
 * Collects every issue and throws one `TaskflowError` code `config` whose message starts
 * with `where` and whose `details` list the issues. `null`/`undefined` means no overrides.
 */
export function parseResilienceOverrides(raw: unknown, where = 'resilience'): ResilienceOverrides {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new TaskflowError('config', `${where}: must be a mapping of resilience settings`, {
      fieldPath: where,
    });
  }
  const issues: string[] = [];
  const result: Partial<Record<Key, number>> = {};
  const known = new Set(fields.flatMap((field) => [field.key, field.yamlKey]));
  for (const name of Object.keys(raw)) {
    if (!known.has(name)) {
      const valid = fields.map((field) => field.yamlKey).join(', ');
      issues.push(`${where}.${name}: unknown setting (valid: ${valid})`);
    }
  }
  const record = raw as Record<string, unknown>;
  for (const { key, yamlKey, min, max } of fields) {
    if (yamlKey in record && key in record) {
      issues.push(`${where}: ${yamlKey} and ${key} are the same setting; give one`);
      continue;
    }
    const name = yamlKey in record ? yamlKey : key;
    if (!(name in record)) continue;
    const value = record[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      issues.push(
        `${where}.${name}: must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`,
      );
      continue;
    }
    result[key] = value;
  }
  if (issues.length > 0) {
    const message =
      issues.length === 1 ? (issues[0] ?? where) : `${where}: ${issues.length} invalid settings`;
    throw new TaskflowError('config', message, { fieldPath: where, details: issues });
  }
  return result;
}

/** Defaults with `overrides` applied. */
export function resolveResilienceSettings(overrides: ResilienceOverrides = {}): ResilienceSettings {
  const settings: Record<Key, number> = { ...DEFAULT_RESILIENCE_SETTINGS };
  for (const { key } of fields) {
    const value = overrides[key];
    if (value !== undefined) settings[key] = value;
  }
  return settings;
}
