/**
 * Whether a URL points at this machine (localhost, 127.0.0.0/8, ::1). Local model servers
 * (Ollama, vLLM, llama.cpp) need no token, and a refused connection to them means "not
 * running" rather than a network blip.
 */
export function isLoopbackUrl(url: string): boolean {
  let hostname: string;
  try {
    hostname = new URL(url).hostname;
  } catch {
    return false;
  }
  return isLoopbackHost(hostname);
}

/** `hostname` as `URL.hostname` gives it (IPv6 in brackets is accepted too). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  if (/^::ffff:127\./.test(host)) return true;
  return /^127(?:\.\d{1,3}){3}$/.test(host);
}
