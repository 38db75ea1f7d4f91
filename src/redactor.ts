/** Shortest value treated as a secret (shorter ones would redact ordinary words). */
const MIN_SECRET_LENGTH = 4;
export const REDACTED = '[redacted]';

/**
 * Knows the secret values of a run (tokens, values read through env() for toolbox env and
 * headers) and removes them from any text before it is logged or persisted.
 */
export class Redactor {
  private readonly secrets = new Set<string>();
  private pattern: RegExp | undefined;

  add(value: string | undefined): void {
    if (value === undefined || value.length < MIN_SECRET_LENGTH || this.secrets.has(value)) return;
    this.secrets.add(value);
    this.pattern = undefined;
  }

  redact(text: string): string {
    if (this.secrets.size === 0) return text;
    this.pattern ??= new RegExp(
      [...this.secrets]
        .sort((a, b) => b.length - a.length)
        .map((secret) => secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('|'),
      'g',
    );
    return text.replace(this.pattern, REDACTED);
  }

  /**
   * Redact every string inside a JSON-like value: a redacted copy when it held a secret,
   * else the value itself (most values hold none, and parsing each back cost CPU per record).
   */
  redactValue<T>(value: T): T {
    if (this.secrets.size === 0) return value;
    const text = JSON.stringify(value);
    if (text === undefined) return value;
    const redacted = this.redact(text);
    return redacted === text ? value : (JSON.parse(redacted) as T);
  }
}
