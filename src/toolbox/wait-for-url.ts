/**
 * Waits until a launched HTTP server accepts connections on its URL's host and port.
 * A TCP connect is enough: it proves the server listens, and unlike an HTTP request it
 * cannot open an SSE session or trip authentication on the way.
 */
import { connect } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { TaskflowError } from '../errors.js';

const FIRST_RETRY_MS = 25;
const MAX_RETRY_MS = 100;

export interface WaitForUrlOptions {
  /** Stops the wait (the caller's connect deadline); the wait then rejects with its reason. */
  signal: AbortSignal;
  /** Settles when the launched server exited: waiting further is pointless. */
  exited?: Promise<unknown>;
  /** Describes the exit for the error message. */
  describeExit?: () => string;
}

/**
 * Polls `url` with short backoff until a TCP connection succeeds.
 *
 * @throws the signal's reason when aborted; Error when the server exits first
 */
export async function waitForUrl(url: URL, options: WaitForUrlOptions): Promise<void> {
  const { signal } = options;
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let exited = false;
  void options.exited?.then(() => {
    exited = true;
  });
  let retryMs = FIRST_RETRY_MS;
  for (;;) {
    signal.throwIfAborted();
    if (await canConnect(host, port, signal)) return;
    if (exited) {
      throw new TaskflowError(
        'toolbox-start',
        `${options.describeExit?.() ?? 'server exited'} before ${url.origin} accepted connections`,
      );
    }
    await delay(retryMs, undefined, { signal });
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  }
}

function canConnect(host: string, port: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (connected: boolean): void => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(connected);
    };
    const onAbort = (): void => finish(false);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}
