/**
 * Which values are secrets (README "Secrets"). A value is redacted only when it can be a
 * secret: redacting an ordinary value (`true`, `2026.1`, a word) would change data that
 * later tasks, resumed runs and users read.
 */

/** Shorter values are never secrets: they would match inside ordinary text. */
export const MIN_SECRET_LENGTH = 8;

/** Words of a variable or header name that make its value a secret. */
const SECRET_NAME_WORDS = new Set([
  'TOKEN',
  'TOKENS',
  'KEY',
  'KEYS',
  'APIKEY',
  'SECRET',
  'SECRETS',
  'PASSWORD',
  'PASSWD',
  'PASSPHRASE',
  'CREDENTIAL',
  'CREDENTIALS',
  'CREDS',
  'AUTH',
  'AUTHORIZATION',
  'PAT',
  'COOKIE',
  'COOKIES',
]);
/** Run-together names (`GHTOKEN`, `CLIENTSECRET`) end with one of these. */
const SECRET_NAME_ENDINGS = ['TOKEN', 'SECRET', 'PASSWORD', 'PASSWD', 'APIKEY'];

const NUMBER = /^[-+]?(?:\d+(?:[._]\d+)*|\d*\.\d+)(?:e[-+]?\d+)?$/i;
const KEYWORD = /^(?:true|false|null|none|nil|undefined|yes|no|on|off)$/i;
/** One word of letters: `personal`, `disabled`, `Bearer` (a passphrase has separators or digits). */
const WORD = /^[A-Za-z]+$/;
/** A file path (`/run/user/1000/ssh-agent.sock`) names where a secret is; it is not one. */
const PATH = /^~?\/[\w.-]+(?:\/[\w.-]*)+$/;
/** A URL without user:password@ is an address, not a credential. */
const PLAIN_URL = /^[a-z][a-z\d+.-]*:\/\/[^@\s]*$/i;

/** Prefixes of well-known credential formats, followed by at least 12 token characters. */
const KNOWN_PREFIX =
  /^(?:gh[pousr]_|github_pat_|glpat-|sk-|sk_(?:live|test)_|rk_(?:live|test)_|xox[abprs]-|xapp-|AKIA|ASIA|AIza|ya29\.|npm_|hf_|pypi-|SG\.|dop_v1_|shpat_)[\w.=-]{12,}$/;
const JWT = /^eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]+$/;
const TOKEN_CHARACTERS = /^[A-Za-z\d+/=_.~-]+$/;
/** Random strings change character class at ~62% of positions; identifiers at ≤ 40%. */
const MIN_CLASS_CHANGE_RATIO = 0.45;
const MIN_RANDOM_LENGTH = 20;

/** Splits `apiKey`, `X-API-Key`, `GH_TOKEN` into upper-case words. */
function nameWords(name: string): string[] {
  return name
    .replace(/([a-z\d])([A-Z])/g, '$1_$2')
    .toUpperCase()
    .split(/[^A-Z\d]+/)
    .filter((word) => word !== '');
}

/** Whether a variable, toolbox env key or header name says its value is a secret. */
export function isSecretName(name: string): boolean {
  return nameWords(name).some(
    (word) =>
      SECRET_NAME_WORDS.has(word) || SECRET_NAME_ENDINGS.some((ending) => word.endsWith(ending)),
  );
}

/**
 * Values that are data whatever their name says: short ones, numbers, booleans and null,
 * single words, file paths and URLs without credentials.
 */
export function isDataLike(value: string): boolean {
  const text = value.trim();
  return (
    text.length < MIN_SECRET_LENGTH ||
    NUMBER.test(text) ||
    KEYWORD.test(text) ||
    WORD.test(text) ||
    PATH.test(text) ||
    PLAIN_URL.test(text)
  );
}

function classOf(character: string): number {
  if (character >= 'a' && character <= 'z') return 0;
  if (character >= 'A' && character <= 'Z') return 1;
  if (character >= '0' && character <= '9') return 2;
  return 3;
}

/** Long, of token characters, mixing cases and digits at random (not an identifier). */
function looksRandom(text: string): boolean {
  if (text.length < MIN_RANDOM_LENGTH || !TOKEN_CHARACTERS.test(text)) return false;
  if (!/[a-z]/.test(text) || !/[A-Z]/.test(text) || !/\d/.test(text)) return false;
  let changes = 0;
  for (let index = 1; index < text.length; index++) {
    if (classOf(text[index] as string) !== classOf(text[index - 1] as string)) changes++;
  }
  return changes >= MIN_CLASS_CHANGE_RATIO * (text.length - 1);
}

/** A well-known credential format (`ghp_…`, `sk-…`, a JWT). */
function hasKnownFormat(text: string): boolean {
  return KNOWN_PREFIX.test(text) || JWT.test(text);
}

/** Whether a value looks like a credential whatever its name: a known format or random. */
export function looksLikeCredential(value: string): boolean {
  const text = value.trim();
  return hasKnownFormat(text) || (!isDataLike(text) && looksRandom(text));
}

/**
 * Whether the value of `name` is a secret: a known credential format; else, unless the
 * value is data-like, a secret-looking name or a random-looking value.
 */
export function isSecretValue(name: string, value: string): boolean {
  const text = value.trim();
  if (hasKnownFormat(text)) return true;
  if (isDataLike(text)) return false;
  return isSecretName(name) || looksRandom(text);
}

/** Whether a value given as a secret (an API token) can be one: a known format or not data-like. */
export function canBeSecret(value: string): boolean {
  const text = value.trim();
  return hasKnownFormat(text) || !isDataLike(text);
}
