const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
const DURATION_TOKEN = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/**
 * `90s`, `10m`, `1h30m`, `500ms`, `7d` or a number of seconds -> milliseconds. Lenient:
 * callers validate the text first (the taskflow schema's DURATION_PATTERN).
 */
export function parseDurationMs(value: string | number): number {
  if (typeof value === 'number') return Math.round(value * 1000);
  let total = 0;
  for (const match of value.matchAll(DURATION_TOKEN)) {
    total += Number(match[1]) * (UNIT_MS[match[2] ?? 's'] ?? 1000);
  }
  return Math.round(total);
}

/**
 * A duration typed by a person (`7d`, `12h`, `1h30m`, `90s`): milliseconds, or undefined
 * unless the whole text (spaces aside) is duration tokens with units.
 */
export function parseDurationText(text: string): number | undefined {
  const compact = text.replace(/\s+/g, '');
  if (compact === '' || compact.replace(DURATION_TOKEN, '') !== '') return undefined;
  return parseDurationMs(compact);
}

/** 1500 -> "1.5s", 90000 -> "1m30s". */
export function formatDuration(milliseconds: number): string {
  if (milliseconds < 1000) return `${Math.round(milliseconds)}ms`;
  const seconds = milliseconds / 1000;
  if (seconds < 60) return `${Number(seconds.toFixed(1))}s`;
  const minutes = Math.floor(seconds / 60);
  const rest = Math.round(seconds - minutes * 60);
  if (minutes < 60) return rest === 0 ? `${minutes}m` : `${minutes}m${rest}s`;
  const hours = Math.floor(minutes / 60);
  const restMinutes = minutes - hours * 60;
  return restMinutes === 0 ? `${hours}h` : `${hours}h${restMinutes}m`;
}
