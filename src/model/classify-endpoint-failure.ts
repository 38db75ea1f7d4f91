import { fieldOf, messageOf } from './error-facts.js';

/**
 * Why a request never reached the endpoint, read from the error's cause chain (undici's
 * fetch puts the system error under `TypeError: fetch failed`). Some of these cannot heal
 * — a name that does not resolve, a certificate that is not trusted or names another host,
 * a port or scheme fetch refuses — and are configuration errors; the rest (reset, refused,
 * timed out, DNS temporarily failing) are transient and get a short reason for the retry
 * notice.
 */

/** Certificates the system does not trust; NODE_EXTRA_CA_CERTS can add a private CA. */
const untrustedCodes = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
]);
/** Certificates that are invalid whoever trusts them. */
const invalidCertificateCodes = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_PURPOSE',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
/**
 * Handshakes that fail the same way every time (http:// behind https://, no common protocol,
 * the server refusing our certificate); a corrupted record mid-connection is not one.
 */
const failedHandshake =
  /^ERR_SSL_(?:WRONG_VERSION_NUMBER|UNSUPPORTED_PROTOCOL|NO_PROTOCOLS_AVAILABLE|\w*ALERT_(?:HANDSHAKE_FAILURE|PROTOCOL_VERSION|UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_REQUIRED|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE|INSUFFICIENT_SECURITY))$/;
/** Arguments undici rejects before sending: the same request fails the same way. */
const clientRefusalCodes = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED']);

const transientWords: Readonly<Record<string, string>> = {
  ECONNRESET: 'connection reset',
  ECONNREFUSED: 'connection refused',
  ECONNABORTED: 'connection aborted',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'connection closed while sending',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connect timeout',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
  UND_ERR_BODY_TIMEOUT: 'response body timed out',
  UND_ERR_SOCKET: 'connection closed',
  UND_ERR_CLOSED: 'connection closed',
};

interface Found {
  readonly code: string | undefined;
  readonly message: string;
  readonly item: unknown;
}

function flat(text: string): string {
  const line = text
    .replace(/\s+/g, ' ')
    .replace(/[\s:;,]+$/, '')
    .trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

function codeOf(item: unknown): string | undefined {
  const code = fieldOf(item, 'code');
  return typeof code === 'string' && code !== '' ? code : undefined;
}

function find(chain: readonly unknown[], test: (found: Found) => boolean): Found | undefined {
  for (const item of chain) {
    const found = { code: codeOf(item), message: flat(messageOf(item)), item };
    if (test(found)) return found;
  }
  return undefined;
}

function urlPart(endpoint: string, part: 'hostname' | 'port' | 'protocol'): string {
  try {
    return new URL(endpoint)[part];
  } catch {
    return '';
  }
}

function hostOf(found: Found, endpoint: string): string {
  const hostname = fieldOf(found.item, 'hostname');
  return typeof hostname === 'string' && hostname !== '' ? hostname : urlPart(endpoint, 'hostname');
}

/** Names under `.invalid` never resolve (RFC 6761), whatever the resolver answers. */
function isInvalidName(host: string): boolean {
  return /(?:^|\.)invalid\.?$/i.test(host);
}

function isDnsCode(code: string | undefined): boolean {
  return code === 'ENOTFOUND' || (code?.startsWith('EAI_') ?? false);
}

/**
 * The one-line message of a failure that cannot heal, naming the endpoint and the cause
 * (`cannot resolve api.opnai.com (ENOTFOUND): check the endpoint https://api.opnai.com/v1`);
 * undefined when the chain shows none.
 */
export function permanentEndpointFailure(
  chain: readonly unknown[],
  endpoint: string,
): string | undefined {
  const dns = find(chain, (found) => isDnsCode(found.code));
  if (dns !== undefined) {
    const host = hostOf(dns, endpoint);
    if (dns.code === 'ENOTFOUND' || isInvalidName(host)) {
      return `cannot resolve ${host} (${dns.code}): check the endpoint ${endpoint}`;
    }
  }
  const tls = find(
    chain,
    ({ code }) =>
      code !== undefined &&
      (untrustedCodes.has(code) || invalidCertificateCodes.has(code) || failedHandshake.test(code)),
  );
  if (tls?.code !== undefined) return tlsMessage(tls.code, tls.message, endpoint);
  const refused = find(
    chain,
    ({ code, message }) =>
      message === 'bad port' ||
      message === 'unknown scheme' ||
      code === 'ERR_INVALID_URL' ||
      (code !== undefined && clientRefusalCodes.has(code)),
  );
  if (refused === undefined) return undefined;
  if (refused.message === 'bad port') {
    const port = urlPart(endpoint, 'port');
    return `fetch refuses port ${port} of ${endpoint} (bad port: blocked by the fetch standard); serve the model on another port`;
  }
  if (refused.message === 'unknown scheme' || refused.code === 'ERR_INVALID_URL') {
    return `endpoint ${endpoint} is not a URL fetch can use (${refused.message}): it must start with http:// or https://`;
  }
  return `the HTTP client refused the request to ${endpoint}: ${refused.message} (${refused.code})`;
}

function tlsMessage(code: string, message: string, endpoint: string): string {
  if (untrustedCodes.has(code)) {
    return `TLS certificate of ${endpoint} is not trusted: ${message} (${code}); to trust a private CA, set NODE_EXTRA_CA_CERTS to its certificate file`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH') {
    return `TLS certificate of ${endpoint} is for another host: ${message} (${code})`;
  }
  if (failedHandshake.test(code)) {
    const plain =
      code === 'ERR_SSL_WRONG_VERSION_NUMBER' && urlPart(endpoint, 'protocol') === 'https:'
        ? '; does the server speak plain http://?'
        : '';
    return `TLS handshake with ${endpoint} failed: ${message} (${code})${plain}`;
  }
  return `TLS certificate of ${endpoint} is invalid: ${message} (${code})`;
}

/**
 * A short cause of a transient connection failure for the retry notice:
 * `connection reset (ECONNRESET)`, `temporary DNS failure for api.example.com (EAI_AGAIN)`,
 * or the innermost message when no code says more (`socket hang up`).
 */
export function transientNetworkReason(
  chain: readonly unknown[],
  endpoint: string,
): string | undefined {
  const coded = find(
    chain,
    ({ code }) => code !== undefined && /^(?:E[A-Z_]+|UND_ERR_[A-Z_]+)$/.test(code),
  );
  if (coded?.code !== undefined) {
    if (isDnsCode(coded.code)) {
      return `temporary DNS failure for ${hostOf(coded, endpoint)} (${coded.code})`;
    }
    const words = transientWords[coded.code];
    if (words === undefined) return `${coded.message} (${coded.code})`;
    const detail =
      coded.message !== '' && !coded.message.includes(coded.code) ? `: ${coded.message}` : '';
    return `${words}${detail} (${coded.code})`;
  }
  const innermost = chain.at(-1);
  const text = innermost === undefined ? '' : flat(messageOf(innermost));
  return text === '' ? undefined : text;
}
