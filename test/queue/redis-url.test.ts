import { describe, expect, it } from 'vitest';
import { TaskflowError } from '../../src/errors.js';
import { maskRedisUrl, parseRedisUrl } from '../../src/queue/redis-url.js';

function failure(value: string, source?: string): TaskflowError {
  try {
    parseRedisUrl(value, source);
  } catch (error) {
    if (error instanceof TaskflowError) return error;
    throw error;
  }
  throw new Error(`${value} parsed`);
}

describe('parseRedisUrl', () => {
  it('reads host, port and db, with the defaults 6379 and 0', () => {
    expect(parseRedisUrl('redis://queue.example:6380/3')).toEqual({
      host: 'queue.example',
      port: 6380,
      db: 3,
      display: 'redis://queue.example:6380/3',
    });
    expect(parseRedisUrl('redis://localhost')).toEqual({
      host: 'localhost',
      port: 6379,
      db: 0,
      display: 'redis://localhost',
    });
    expect(parseRedisUrl('REDIS://10.0.0.7/')).toMatchObject({ host: '10.0.0.7', db: 0 });
  });

  it('reads IPv6 hosts in brackets', () => {
    expect(parseRedisUrl('redis://[::1]:7000/1')).toMatchObject({ host: '::1', port: 7000, db: 1 });
    expect(parseRedisUrl('redis://[fe80::2]')).toMatchObject({ host: 'fe80::2', port: 6379 });
  });

  it('reads user and password, percent-decoded, and masks the password in display', () => {
    const url = parseRedisUrl('redis://worker:s%3Ac%40ret@redis.internal:6379/2');
    expect(url).toEqual({
      host: 'redis.internal',
      port: 6379,
      db: 2,
      username: 'worker',
      password: 's:c@ret',
      display: 'redis://worker:***@redis.internal:6379/2',
    });
  });

  it('takes a password without user name, and an unencoded @ in the password', () => {
    const url = parseRedisUrl('redis://:p@ss@host');
    expect(url).toMatchObject({ host: 'host', password: 'p@ss', display: 'redis://:***@host' });
    expect(url).not.toHaveProperty('username');
  });

  it('turns on TLS for rediss://', () => {
    expect(parseRedisUrl('rediss://:k@cache.example:6380')).toEqual({
      host: 'cache.example',
      port: 6380,
      db: 0,
      password: 'k',
      tls: {},
      display: 'rediss://:***@cache.example:6380',
    });
    expect(parseRedisUrl('redis://h')).not.toHaveProperty('tls');
  });

  it.each([
    ['http://localhost:6379', 'unsupported scheme http://'],
    ['localhost:6379', 'not a URL'],
    ['', 'not a URL'],
    ['redis://', 'the host is empty'],
    ['redis://:6379/0', 'the host is empty'],
    ['redis://host:0', 'the port must be an integer from 1 to 65535, got "0"'],
    ['redis://host:65536', 'the port must be an integer from 1 to 65535, got "65536"'],
    ['redis://host:abc', 'the port must be an integer from 1 to 65535, got "abc"'],
    ['redis://host:', 'the port must be an integer from 1 to 65535, got ""'],
    ['redis://host/x', 'the database must be a non-negative integer, got "x"'],
    ['redis://host/1.5', 'the database must be a non-negative integer, got "1.5"'],
    ['redis://host/-1', 'the database must be a non-negative integer, got "-1"'],
    ['redis://host/1/2', 'the database must be a non-negative integer, got "1/2"'],
    ['redis://host/0?tls=true', 'query strings and fragments are not supported'],
    ['redis://[::1', 'unclosed [ in the host'],
    ['redis://[::1]x', 'unexpected "x" after the host'],
    ['redis://[host]', 'the host in [ ] must be an IPv6 address'],
    ['redis://ho st', 'the host "ho st" is not a host name'],
  ])('rejects %j: %s', (value, reason) => {
    const error = failure(value);
    expect(error.code).toBe('usage');
    expect(error.message).toBe(
      `--queue ${value === '' ? '""' : value}: ${reason}; ` +
        'expected redis://[[user]:password@]host[:port][/db] (or rediss:// for TLS)',
    );
  });

  it('names the source it was given', () => {
    expect(failure('redis://host:x', 'TASKFLOW_QUEUE').message).toMatch(
      /^TASKFLOW_QUEUE redis:\/\/host:x: the port/,
    );
  });

  it('never shows the password in an error, whatever is wrong', () => {
    const cases = [
      'redis://user:hunter2@host:99999',
      'redis://:hunter2@',
      'redis://:hunter2@host/db',
      'redis://:hunt/er2@host:x',
      'redis://user:hunter2%zz@host',
      'http://user:hunter2@host',
      'redis://hunter2@host',
      'redis://:hunter2@host?x#y',
      'user:hunter2@host:6379',
    ];
    for (const value of cases) {
      const error = failure(value);
      expect(error.message).not.toContain('hunter2');
      expect(error.message).toContain('***@');
    }
    expect(failure('redis://user:hunter2%zz@host').message).toContain(
      'bad percent-encoding in the credentials',
    );
    expect(failure('redis://hunter2@host').message).toBe(
      '--queue redis://***@host: the credentials need a colon: user:password@ or :password@; ' +
        'expected redis://[[user]:password@]host[:port][/db] (or rediss:// for TLS)',
    );
  });

  it('keeps a message on one line', () => {
    const error = failure('redis://host:1\n2');
    expect(error.message).not.toContain('\n');
    expect(error.message).toContain('redis://host:1\\u000a2');
  });
});

describe('maskRedisUrl', () => {
  it('masks the password and leaves a URL without credentials as it is', () => {
    expect(maskRedisUrl('redis://u:p@h:1/2')).toBe('redis://u:***@h:1/2');
    expect(maskRedisUrl('redis://h:1/2')).toBe('redis://h:1/2');
    expect(maskRedisUrl('user:pw@host:6379')).toBe('user:***@host:6379');
    expect(maskRedisUrl('redis://a:b@c@d/0')).toBe('redis://a:***@d/0');
  });
});
