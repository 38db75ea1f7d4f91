import { APIConnectionError, APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import { classifyModelError } from '../../src/model/classify-error.js';

/**
 * Failures to reach an endpoint, shaped as undici's fetch and the openai SDK report them
 * (APIConnectionError -> TypeError "fetch failed" -> the system error): the ones that
 * cannot heal are configuration errors at once; the others stay transient and carry a
 * short reason for the retry notice.
 */

const context = { endpoint: 'https://api.opnai.com/v1', model: 'gpt-4.1' };

function systemError(message: string, fields: Record<string, string> = {}): Error {
  return Object.assign(new Error(message), fields);
}

/** What `client.chat.completions.create` rejects with when fetch itself fails. */
function fetchFailure(inner: Error): APIConnectionError {
  return new APIConnectionError({ cause: new TypeError('fetch failed', { cause: inner }) });
}

function classify(error: unknown, endpoint = context.endpoint) {
  return classifyModelError(error, { ...context, endpoint });
}

const notFound = (host: string) =>
  systemError(`getaddrinfo ENOTFOUND ${host}`, {
    code: 'ENOTFOUND',
    syscall: 'getaddrinfo',
    hostname: host,
  });

describe('DNS', () => {
  it('ENOTFOUND is a configuration error naming the host and the endpoint', () => {
    const error = classify(fetchFailure(notFound('api.opnai.com')));
    expect(error.classification).toEqual({ errorClass: 'config', retryable: false });
    expect(error.code).toBe('config');
    expect(error.message).toMatch(/^cannot resolve api\.opnai\.com \(ENOTFOUND\)/);
    expect(error.message).toContain('https://api.opnai.com/v1');
  });

  it('ENOTFOUND without a hostname field reads the host from the endpoint', () => {
    const bare = systemError('getaddrinfo ENOTFOUND', { code: 'ENOTFOUND' });
    expect(classify(fetchFailure(bare)).message).toMatch(/^cannot resolve api\.opnai\.com /);
  });

  it('EAI_AGAIN (resolver temporarily failing) stays transient, with the cause as reason', () => {
    const again = systemError('getaddrinfo EAI_AGAIN api.example.com', {
      code: 'EAI_AGAIN',
      syscall: 'getaddrinfo',
      hostname: 'api.example.com',
    });
    const error = classify(fetchFailure(again), 'https://api.example.com/v1');
    expect(error.classification).toEqual({ errorClass: 'network', retryable: true });
    expect(error.reason).toMatch(/EAI_AGAIN/);
    expect(error.reason).toMatch(/api\.example\.com/);
  });

  it('EAI_AGAIN for a name under .invalid is permanent: such names never resolve (RFC 6761)', () => {
    const again = systemError('getaddrinfo EAI_AGAIN api.taskflow-test.invalid', {
      code: 'EAI_AGAIN',
      hostname: 'api.taskflow-test.invalid',
    });
    const error = classify(fetchFailure(again), 'http://api.taskflow-test.invalid/v1');
    expect(error.classification.errorClass).toBe('config');
    expect(error.message).toMatch(/^cannot resolve api\.taskflow-test\.invalid/);
  });
});

describe('TLS', () => {
  it.each([
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'],
    ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'unable to get local issuer certificate'],
    ['CERT_HAS_EXPIRED', 'certificate has expired'],
    [
      'ERR_TLS_CERT_ALTNAME_INVALID',
      "Hostname/IP does not match certificate's altnames: Host: api.opnai.com. is not in the cert's altnames: DNS:other.example",
    ],
  ])('%s is a configuration error naming the endpoint and the cause', (code, message) => {
    const error = classify(fetchFailure(systemError(message, { code })));
    expect(error.classification).toEqual({ errorClass: 'config', retryable: false });
    expect(error.message).toContain('https://api.opnai.com/v1');
    expect(error.message).toContain(code);
    expect(error.message).toContain(message.split(':')[0] ?? '');
  });

  it('an untrusted certificate points at NODE_EXTRA_CA_CERTS', () => {
    const error = classify(
      fetchFailure(systemError('self-signed certificate', { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })),
    );
    expect(error.message).toContain('NODE_EXTRA_CA_CERTS');
  });

  it('a plain-HTTP server behind an https:// endpoint is a configuration error', () => {
    const wrongVersion = systemError('ssl3_get_record:wrong version number', {
      code: 'ERR_SSL_WRONG_VERSION_NUMBER',
    });
    expect(classify(fetchFailure(wrongVersion)).classification.errorClass).toBe('config');
  });

  it('a TLS record corrupted mid-connection is not a handshake that always fails', () => {
    const badRecord = systemError('decryption failed or bad record mac', {
      code: 'ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC',
    });
    expect(classify(fetchFailure(badRecord)).classification.errorClass).toBe('network');
  });
});

describe('URLs fetch refuses', () => {
  it('"bad port" (fetch blocks ports such as 6000) names the port', () => {
    const error = classify(fetchFailure(new Error('bad port')), 'http://127.0.0.1:6000/v1');
    expect(error.classification).toEqual({ errorClass: 'config', retryable: false });
    expect(error.message).toContain('http://127.0.0.1:6000/v1');
    expect(error.message).toContain('port 6000');
    expect(error.message).toContain('bad port');
  });

  it('"unknown scheme" and an invalid URL are configuration errors', () => {
    const scheme = classify(fetchFailure(new Error('unknown scheme')), 'ftp://models.example/v1');
    expect(scheme.classification.errorClass).toBe('config');
    expect(scheme.message).toContain('ftp://models.example/v1');
    const invalid = new APIConnectionError({
      cause: new TypeError('Failed to parse URL from x/chat/completions', {
        cause: Object.assign(new TypeError('Invalid URL'), { code: 'ERR_INVALID_URL' }),
      }),
    });
    expect(classify(invalid, 'x').classification.errorClass).toBe('config');
  });
});

describe('what can heal stays transient and says why', () => {
  it.each([
    ['ECONNRESET', 'read ECONNRESET'],
    ['ETIMEDOUT', 'connect ETIMEDOUT 10.0.0.1:443'],
    ['ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:443'],
    ['EHOSTUNREACH', 'connect EHOSTUNREACH 10.0.0.1:443'],
    ['UND_ERR_CONNECT_TIMEOUT', 'Connect Timeout Error'],
    ['UND_ERR_SOCKET', 'other side closed'],
  ])('%s -> network, retryable, reason names the code', (code, message) => {
    const error = classify(fetchFailure(systemError(message, { code })));
    expect(error.classification).toEqual({ errorClass: 'network', retryable: true });
    expect(error.reason).toContain(code);
  });

  it('a TLS-looking message without a certificate code is not taken as a certificate error', () => {
    const reset = systemError('Client network socket disconnected before secure TLS connection', {
      code: 'ECONNRESET',
    });
    expect(classify(fetchFailure(reset)).classification.errorClass).toBe('network');
  });

  it('a server error carries the API message as its reason', () => {
    const error = APIError.generate(
      503,
      { error: { message: 'upstream overloaded, try later', type: 'server_error' } },
      undefined,
      new Headers(),
    );
    const classified = classify(error);
    expect(classified.classification.errorClass).toBe('server');
    expect(classified.reason).toBe('upstream overloaded, try later');
  });

  it('a 429 carries the API message as its reason', () => {
    const error = APIError.generate(
      429,
      { error: { message: 'Rate limit reached for requests', type: 'requests' } },
      undefined,
      new Headers(),
    );
    expect(classify(error).reason).toBe('Rate limit reached for requests');
  });
});
