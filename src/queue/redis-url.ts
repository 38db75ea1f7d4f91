/**
 * The queue's address: `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for
 * TLS (the value of `--queue` and `TASKFLOW_QUEUE`). Parsed by hand, so every mistake gets
 * its own reason, and shown only as `display`, which never contains the password.
 */
import { TaskflowError } from '../errors.js';

/** Connection options as ioredis (and BullMQ's `connection`) take them. */
export interface RedisConnectionOptions {
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username?: string;
  readonly password?: string;
  /** Present for `rediss://`: TLS with Node's defaults (the host is the server name). */
  readonly tls?: Record<string, never>;
}

export interface RedisUrl extends RedisConnectionOptions {
  /** The URL for messages: the password, if any, replaced by `***`; control characters escaped. */
  readonly display: string;
}

export const DEFAULT_REDIS_PORT = 6379;

const EXPECTED = 'expected redis://[[user]:password@]host[:port][/db] (or rediss:// for TLS)';

/**
 * `value` with its credentials masked, whatever else is wrong with it: everything between
 * `//` (or the start, when a scheme is missing) and the last `@` is the user info; the user name stays, the rest becomes `***`.
 * A user info without `:` may be a password written without one, so it is masked whole.
 */
export function maskRedisUrl(value: string): string {
  const slashes = value.indexOf('//');
  const start = slashes < 0 ? 0 : slashes + 2;
  const at = value.lastIndexOf('@');
  if (at < start) return value;
  const userInfo = value.slice(start, at);
  const colon = userInfo.indexOf(':');
  const masked = colon < 0 ? '***' : `${userInfo.slice(0, colon)}:***`;
  return `${value.slice(0, start)}${masked}${value.slice(at)}`;
}

/** Control characters escaped, so a message stays on one line. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, (char) => {
    return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

function decode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

function parseHostPort(hostPort: string): { host: string; port: number } | string {
  let host: string;
  let portText: string | undefined;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close < 0) return 'unclosed [ in the host';
    host = hostPort.slice(1, close);
    const after = hostPort.slice(close + 1);
    if (after !== '' && !after.startsWith(':'))
      return `unexpected ${JSON.stringify(after)} after the host`;
    if (!/^[0-9a-fA-F:.]+$/.test(host)) return 'the host in [ ] must be an IPv6 address';
    portText = after === '' ? undefined : after.slice(1);
  } else {
    const colon = hostPort.indexOf(':');
    host = colon < 0 ? hostPort : hostPort.slice(0, colon);
    portText = colon < 0 ? undefined : hostPort.slice(colon + 1);
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u0020\u007f[\]:@]/.test(host))
      return `the host ${JSON.stringify(host)} is not a host name`;
  }
  if (host === '') return 'the host is empty';
  if (portText === undefined) return { host, port: DEFAULT_REDIS_PORT };
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) {
    return `the port must be an integer from 1 to 65535, got ${JSON.stringify(portText)}`;
  }
  return { host, port };
}

function parseDb(path: string): number | string {
  if (path === '' || path === '/') return 0;
  const text = path.slice(1);
  if (!/^\d{1,9}$/.test(text)) {
    return `the database must be a non-negative integer, got ${JSON.stringify(text)}`;
  }
  return Number(text);
}

/**
 * Parses a queue URL.
 * @param source what the value came from, for the message: `--queue` or `TASKFLOW_QUEUE`
 * @throws TaskflowError `usage`, one line naming `source` and the masked URL
 */
export function parseRedisUrl(value: string, source = '--queue'): RedisUrl {
  const display = oneLine(maskRedisUrl(value));
  const fail = (reason: string): never => {
    const shown = display === '' ? '""' : display;
    throw new TaskflowError('usage', `${source} ${shown}: ${reason}; ${EXPECTED}`);
  };
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(value);
  const protocol = scheme?.[1]?.toLowerCase();
  if (protocol !== 'redis' && protocol !== 'rediss') {
    return fail(scheme === null ? 'not a URL' : `unsupported scheme ${scheme[1]}://`);
  }
  const rest = value.slice(protocol.length + 3);
  const at = rest.lastIndexOf('@');
  const userInfo = at < 0 ? undefined : rest.slice(0, at);
  const address = at < 0 ? rest : rest.slice(at + 1);
  if (/[?#]/.test(address)) return fail('query strings and fragments are not supported');
  const slash = address.indexOf('/');
  const hostPort = slash < 0 ? address : address.slice(0, slash);
  const place = parseHostPort(hostPort);
  if (typeof place === 'string') return fail(place);
  const db = parseDb(slash < 0 ? '' : address.slice(slash));
  if (typeof db === 'string') return fail(db);

  let credentials: { username?: string; password?: string } = {};
  if (userInfo !== undefined) {
    const colon = userInfo.indexOf(':');
    if (colon < 0) return fail('the credentials need a colon: user:password@ or :password@');
    const username = decode(userInfo.slice(0, colon));
    const password = decode(userInfo.slice(colon + 1));
    if (username === undefined || password === undefined) {
      return fail('bad percent-encoding in the credentials');
    }
    credentials = {
      ...(username !== '' && { username }),
      ...(password !== '' && { password }),
    };
  }
  return {
    host: place.host,
    port: place.port,
    db,
    ...credentials,
    ...(protocol === 'rediss' && { tls: {} }),
    display,
  };
}
