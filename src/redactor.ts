import { redactStrings } from './redaction/redact-strings.js';
import { redactCutParts, secretHeadAtEnd } from './redaction/secret-fragments.js';
import { canBeSecret, isSecretValue, MIN_SECRET_LENGTH } from './redaction/secret-rule.js';

export const REDACTED = '[redacted]';

/** `Authorization: Bearer <credential>`: the credential alone is a secret too. */
const AUTH_SCHEME = /^(?:Bearer|Basic|token)\s+(\S+)$/i;

/**
 * Knows the secret values of a run and removes them from text and values before they are
 * printed, logged or persisted. Which values are secrets is decided by
 * `redaction/secret-rule.ts`: values that can only be data (`true`, `2026.1`, a word) are
 * never registered, so redaction cannot change them.
 */
export class Redactor {
  private readonly secrets = new Set<string>();
  private list: string[] = [];
  private pattern: RegExp | undefined;

  /** A value known to be a secret (the API token); ignored when it cannot be one. */
  add(value: string | undefined): void {
    if (value === undefined || !canBeSecret(value)) return;
    this.register(value);
  }

  /**
   * A value read under a name — with env(), as a toolbox `env` key or header, or from the
   * environment: registered when the name or the value says it is a secret.
   */
  addNamed(name: string, value: string | undefined): void {
    if (value === undefined || !isSecretValue(name, value)) return;
    this.register(value);
  }

  /** Every secret value of an environment (see `addNamed`). */
  addEnvironment(environment: Readonly<Record<string, string | undefined>>): void {
    for (const [name, value] of Object.entries(environment)) this.addNamed(name, value);
  }

  /** The value, trimmed, the credential of an auth scheme, and each as written inside JSON. */
  private register(value: string): void {
    const forms = new Set([value, value.trim()]);
    const credential = AUTH_SCHEME.exec(value.trim())?.[1];
    if (credential !== undefined && canBeSecret(credential)) forms.add(credential);
    for (const form of [...forms]) forms.add(JSON.stringify(form).slice(1, -1));
    const before = this.secrets.size;
    for (const form of forms) {
      if (form.length >= MIN_SECRET_LENGTH) this.secrets.add(form);
    }
    if (this.secrets.size === before) return;
    this.pattern = undefined;
    // Longest first: a secret containing another is replaced whole.
    this.list = [...this.secrets].sort((a, b) => b.length - a.length);
  }

  /** Whether any secret is known (callers skip work when none is). */
  get active(): boolean {
    return this.secrets.size > 0;
  }

  /** `text` with every secret, and any secret's part next to a cut mark `…`, replaced. */
  redact(text: string): string {
    if (this.secrets.size === 0) return text;
    this.pattern ??= new RegExp(
      this.list.map((secret) => secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'),
      'g',
    );
    return redactCutParts(text.replace(this.pattern, REDACTED), this.list, REDACTED);
  }

  /**
   * Every string inside a JSON-like value redacted (walked, never re-parsed): the value
   * itself when no string held a secret, else a copy of the changed parts.
   */
  redactValue<T>(value: T): T {
    if (this.secrets.size === 0) return value;
    return redactStrings(value, (text) => this.redact(text));
  }

  /**
   * For streamed text: how many characters at the end of the (already redacted) `text`
   * could begin a secret that the next chunk completes; hold them back until it comes.
   */
  openSecretLength(text: string): number {
    return this.secrets.size === 0 ? 0 : secretHeadAtEnd(text, this.list);
  }
}
