/**
 * An MCP transport over the stdin/stdout of a process we spawned ourselves
 * (newline-delimited JSON-RPC, framed like the SDK's stdio transport). Unlike the SDK's
 * `StdioClientTransport` it neither spawns nor kills: the process, its environment and its
 * group belong to `ServerProcess`.
 */
import { serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { JsonRpcLineReader, type OversizedLine } from './json-rpc-line-reader.js';
import type { ServerProcess } from './launch-server-process.js';
import { resultTooLargeError } from './result-too-large.js';

/**
 * After the server exits, how long its remaining stdout may take to arrive. Bounded because
 * a surviving grandchild can hold the pipe open forever.
 */
const STDOUT_END_WAIT_MS = 100;

export class ChildProcessTransport implements Transport {
  onclose?: Transport['onclose'];
  onerror?: Transport['onerror'];
  onmessage?: Transport['onmessage'];
  readonly #serverProcess: ServerProcess;
  readonly #reader: JsonRpcLineReader;
  #started = false;
  #closed = false;

  /** `maxMessageBytes`: the largest stdout line read (default MAX_STDIO_MESSAGE_BYTES). */
  constructor(serverProcess: ServerProcess, options: { maxMessageBytes?: number } = {}) {
    this.#serverProcess = serverProcess;
    this.#reader = new JsonRpcLineReader(options.maxMessageBytes);
  }

  /** True once the transport closed (server exit or `close()`). */
  get closed(): boolean {
    return this.#closed;
  }

  start(): Promise<void> {
    if (this.#started) return Promise.reject(new Error('ChildProcessTransport already started'));
    this.#started = true;
    const stdout = this.#serverProcess.child.stdout;
    const stdoutEnded = new Promise<void>((resolve) => {
      stdout.once('end', resolve);
      stdout.once('close', resolve);
    });
    stdout.on('data', (chunk: Buffer) => this.#receive(chunk));
    stdout.on('error', (error) => this.onerror?.(error));
    void this.#serverProcess.exited.then(async () => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        stdoutEnded,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, STDOUT_END_WAIT_MS);
        }),
      ]);
      clearTimeout(timer);
      this.#finish();
    });
    return Promise.resolve();
  }

  /** False when `send` would fail without writing anything (server gone, stdin ended). */
  get writable(): boolean {
    return !this.#closed && this.#serverProcess.child.stdin.writable;
  }

  /**
   * Hands the message to the pipe before returning (when `writable`); resolves once it is
   * handed to the OS (respects pipe backpressure).
   */
  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.#serverProcess.child.stdin;
    if (!this.writable) {
      const exit = this.#serverProcess.describeExit();
      return Promise.reject(new Error(`toolbox process is not running${exit ? `: ${exit}` : ''}`));
    }
    return new Promise((resolve, reject) => {
      stdin.write(serializeMessage(message), (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Ends the server's stdin (the MCP stdio shutdown signal) and reports the close. */
  close(): Promise<void> {
    if (!this.#serverProcess.child.stdin.writableEnded) this.#serverProcess.child.stdin.end();
    this.#finish();
    return Promise.resolve();
  }

  #receive(chunk: Buffer): void {
    if (this.#closed) return;
    for (const result of this.#reader.push(chunk)) {
      if (this.#closed) return;
      switch (result.kind) {
        case 'message':
          this.onmessage?.(result.message);
          break;
        case 'invalid':
          // Servers that print banners to stdout survive.
          this.onerror?.(
            new Error(`ignored a stdout line that is not JSON-RPC`, { cause: result.error }),
          );
          break;
        case 'oversized':
          this.#oversized(result.line);
          break;
      }
    }
  }

  /**
   * A line over the limit was dropped. When it answers one of our requests, that request
   * gets an error answer in its place: the server is fine, only this answer was too big.
   */
  #oversized(line: OversizedLine): void {
    const answersRequest = line.id !== undefined && !line.hasMethod;
    const error = resultTooLargeError(line.bytes, line.limitBytes);
    this.onerror?.(
      new Error(
        `dropped a stdout message of ${line.bytes} bytes (limit ${line.limitBytes})${answersRequest ? `; request ${String(line.id)} is answered with "${error.message}"` : ''}`,
      ),
    );
    if (answersRequest && line.id !== undefined) {
      this.onmessage?.({ jsonrpc: '2.0', id: line.id, error });
    }
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reader.clear();
    this.onclose?.();
  }
}
