import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeModelServer, type FakeReply } from '../fakes/fake-model-server.js';
import { parseJsonl, REPO_ROOT, runCli, type CliResult } from './cli-harness.js';
import { helloWorkspace, ofType, runTaskflow } from './run-kit.js';

/**
 * An endpoint that cannot work (a name that does not resolve, a certificate that is not
 * trusted or names another host, a port fetch refuses) fails at once with exit 78 and a
 * message naming the endpoint and the cause — one attempt, no retry notice — in `run`,
 * `ask` and `models`. Failures that can heal are retried, and every retry notice says why,
 * with one attempt counter and one total. All against the built CLI; nothing leaves
 * 127.0.0.1 (names under `.invalid` never resolve, RFC 6761).
 */

const STACK_LINE = /^\s+at /m;
const TLS_FIXTURES = path.join(REPO_ROOT, 'test/fixtures/tls');
const CERTIFICATE = path.join(TLS_FIXTURES, 'taskflow-test-invalid.crt');
const UNRESOLVABLE = 'http://api.taskflow-test.invalid/v1';

let server: FakeModelServer;
let sandbox: string;
let work: string;

beforeEach(async () => {
  const workspace = await helloWorkspace();
  ({ server, sandbox, work } = workspace);
  return () => workspace.close();
});

/** An HTTPS server on 127.0.0.1 with the fixture certificate, counting TCP connections. */
interface TlsServer {
  readonly url: string;
  readonly connections: () => number;
  close(): Promise<void>;
}

async function startTlsServer(): Promise<TlsServer> {
  let connections = 0;
  const tlsServer = https.createServer(
    {
      key: fs.readFileSync(path.join(TLS_FIXTURES, 'taskflow-test-invalid.key')),
      cert: fs.readFileSync(CERTIFICATE),
    },
    (_request, response) => response.writeHead(500).end('no request should get this far'),
  );
  tlsServer.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
  const address = tlsServer.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return {
    url: `https://127.0.0.1:${address.port}/v1`,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        tlsServer.closeAllConnections();
        tlsServer.close(() => resolve());
      }),
  };
}

let tls: TlsServer;
beforeAll(async () => {
  tls = await startTlsServer();
});
afterAll(async () => {
  await tls.close();
});

function runAgainst(
  endpoint: string,
  output: 'jsonl' | 'plain',
  env: Record<string, string> = {},
): Promise<CliResult> {
  return runTaskflow(server, sandbox, ['flow.yaml', '--output', output], {
    cwd: work,
    env: { AI_API_ENDPOINT: endpoint, ...env },
  });
}

/** Exit 78 after exactly one attempt and no retry, with `cause` in the final message. */
function expectFastConfigFailure(result: CliResult, endpoint: string, cause: RegExp): void {
  expect(result.code, result.stderr).toBe(78);
  const events = parseJsonl(result.stdout);
  expect(ofType(events, 'model-request-start')).toHaveLength(1);
  expect(ofType(events, 'model-retry')).toEqual([]);
  const [end] = ofType(events, 'taskflow-end');
  expect(end).toMatchObject({ exitCode: 78 });
  expect(String(end?.error)).toMatch(cause);
  expect(String(end?.error)).toContain(endpoint);
  expect(result.stderr).toMatch(cause);
  expect(result.stderr).not.toMatch(STACK_LINE);
}

describe('an endpoint that cannot work: exit 78 at once, naming the cause', () => {
  it('DNS: a host that does not resolve -> "cannot resolve <host>", one attempt', async () => {
    const result = await runAgainst(UNRESOLVABLE, 'jsonl');
    expectFastConfigFailure(result, UNRESOLVABLE, /cannot resolve api\.taskflow-test\.invalid/);
  });

  it('TLS: a self-signed certificate -> the TLS cause, one connection', async () => {
    const result = await runAgainst(tls.url, 'jsonl');
    expectFastConfigFailure(
      result,
      tls.url,
      /self-signed certificate.*DEPTH_ZERO_SELF_SIGNED_CERT/,
    );
    expect(result.stderr).toContain('NODE_EXTRA_CA_CERTS');
    expect(tls.connections()).toBe(1);
  });

  it('TLS: a trusted certificate for another host -> hostname mismatch, one connection', async () => {
    const before = tls.connections();
    const result = await runAgainst(tls.url, 'jsonl', { NODE_EXTRA_CA_CERTS: CERTIFICATE });
    expectFastConfigFailure(result, tls.url, /ERR_TLS_CERT_ALTNAME_INVALID/);
    expect(tls.connections() - before).toBe(1);
  });

  it('port 6000, which the fetch standard blocks, serves like any other port (as for seclab)', async () => {
    // Model requests go through node:http (src/model/http-fetch.ts), not the global fetch
    // with its browser port list; seclab's httpx has no such list either.
    const forward = net.createServer((socket) => {
      const upstream = net.connect(Number(new URL(server.url).port), '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      forward.once('error', reject);
      forward.listen(6000, '127.0.0.1', resolve);
    });
    try {
      server.enqueue({ kind: 'message', text: 'served on 6000' });
      const result = await runAgainst('http://127.0.0.1:6000/v1', 'jsonl');
      expect(result.code, result.stderr).toBe(0);
      expect(server.requests).toHaveLength(1);
    } finally {
      await new Promise<void>((resolve) => forward.close(() => resolve()));
    }
  });

  it('plain output: the cause on stderr, no retry notice, no stack trace', async () => {
    const result = await runAgainst(UNRESOLVABLE, 'plain');
    expect(result.code, result.stderr).toBe(78);
    expect(result.stdout + result.stderr).not.toMatch(/retrying/);
    expect(result.stderr).toMatch(/cannot resolve api\.taskflow-test\.invalid/);
    expect(result.stderr).not.toMatch(STACK_LINE);
  });

  it('ask takes the same path: exit 78 naming the host, no retry', async () => {
    const result = await runCli(['ask', 'personalities/echoer.yaml', 'hello'], sandbox, {
      env: {
        AI_API_ENDPOINT: UNRESOLVABLE,
        AI_API_TOKEN: 'test-token-ask',
        TASKFLOW_DEFAULT_MODEL: 'fake-model',
      },
    });
    expect(result.code, result.stderr).toBe(78);
    expect(result.stderr).toMatch(/cannot resolve api\.taskflow-test\.invalid/);
    expect(result.stdout + result.stderr).not.toMatch(/retrying/);
    expect(result.stderr).not.toMatch(STACK_LINE);
  });

  it('models takes the same path: exit 78 naming the host', async () => {
    const result = await runCli(['models'], sandbox, {
      env: { AI_API_ENDPOINT: UNRESOLVABLE, AI_API_TOKEN: 'test-token-models' },
    });
    expect(result.code, result.stderr).toBe(78);
    expect(result.stderr).toMatch(/^taskflow: cannot resolve api\.taskflow-test\.invalid/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('models against the self-signed endpoint: exit 78 naming the TLS cause', async () => {
    const result = await runCli(['models'], sandbox, { env: { AI_API_ENDPOINT: tls.url } });
    expect(result.code, result.stderr).toBe(78);
    expect(result.stderr).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(result.stderr).toContain(tls.url);
  });
});

describe('retry notices say why, with one counter and one total', () => {
  const answer: FakeReply = { kind: 'message', text: 'The final answer.' };
  /** A short server hint keeps the ladder fast without changing what is counted. */
  const quick = { 'retry-after-ms': '5' };
  const overloaded = (status: number): FakeReply => ({
    kind: 'error',
    status,
    headers: quick,
    body: { error: { message: `upstream overloaded (${status})`, type: 'server_error' } },
  });

  it('plain: each notice names the cause; attempts climb 1, 2, 3 of one total', async () => {
    server.enqueue(overloaded(503), overloaded(502), overloaded(503), answer);
    const result = await runTaskflow(server, sandbox, ['flow.yaml', '--output', 'plain'], {
      cwd: work,
    });
    expect(result.code, result.stderr).toBe(0);
    const notices = (result.stdout + result.stderr)
      .split('\n')
      .filter((line) => line.includes('retrying in'));
    expect(notices).toHaveLength(3);
    notices.forEach((notice, index) => {
      expect(notice).toMatch(/upstream overloaded \(50[23]\)/);
      expect(notice).toMatch(new RegExp(`\\(attempt ${index + 1}/12\\)$`));
    });
  });

  it('jsonl: a long mixed ladder (reset, 503, 429, 503, 429, 503) keeps one counter', async () => {
    const limited: FakeReply = {
      kind: 'error',
      status: 429,
      headers: quick,
      body: { error: { message: 'Rate limit reached for requests', type: 'requests' } },
    };
    server.enqueue(
      { kind: 'reset' },
      overloaded(503),
      limited,
      overloaded(503),
      limited,
      overloaded(503),
      answer,
    );
    const result = await runTaskflow(server, sandbox, ['flow.yaml', '--output', 'jsonl'], {
      cwd: work,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(server.requests).toHaveLength(7);
    const events = parseJsonl(result.stdout);
    const retries = ofType(events, 'model-retry');
    expect(retries.map((retry) => retry.attempt)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(retries.map((retry) => retry.maxAttempts))).toEqual(new Set([12]));
    expect(ofType(events, 'model-request-start').map((start) => start.attempt)).toEqual([
      1, 2, 3, 4, 5, 6, 7,
    ]);
    expect(retries.map((retry) => retry.errorClass)).toEqual([
      'network',
      'server',
      'rate-limited',
      'server',
      'rate-limited',
      'server',
    ]);
    const reasons = retries.map((retry) => String(retry.cause));
    expect(reasons[0]).toMatch(/ECONNRESET|UND_ERR_SOCKET|socket hang up|other side closed/);
    expect(reasons[1]).toBe('upstream overloaded (503)');
    expect(reasons[2]).toBe('Rate limit reached for requests');
  });
});
