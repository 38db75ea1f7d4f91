import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { TaskflowError } from '../errors.js';
import type { CompleteOptions, ModelClient, ModelRequest, ModelResponse } from './types.js';

/**
 * Cassettes: every model exchange of a run recorded as JSONL (`--record`), and answered
 * from such a file without any network (`--replay`) — deterministic runs for demos and CI.
 * A recorded line is `{"version":1,"key":<request hash>,"request":…,"response":…}`.
 */

export const CASSETTE_VERSION = 1;

interface CassetteEntry {
  readonly version: number;
  readonly key: string;
  readonly request: ModelRequest;
  readonly response: ModelResponse;
}

/** Stable key of a request: a hash of its canonical JSON (object keys sorted). */
export function requestKey(request: ModelRequest): string {
  const canonical = JSON.stringify(request, (_key, value: unknown) =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(
          Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : value,
  );
  return createHash('sha256').update(canonical).digest('hex');
}

/** Wraps a client and appends each successful exchange to `filePath`. */
export class RecordingClient implements ModelClient {
  constructor(
    private readonly inner: ModelClient,
    private readonly filePath: string,
    private readonly redact: (text: string) => string = (text) => text,
  ) {}

  get apiType() {
    return this.inner.apiType;
  }

  get endpoint() {
    return this.inner.endpoint;
  }

  async complete(request: ModelRequest, options?: CompleteOptions): Promise<ModelResponse> {
    const response = await this.inner.complete(request, options);
    const entry: CassetteEntry = {
      version: CASSETTE_VERSION,
      key: requestKey(request),
      request,
      response,
    };
    // Each string redacted on its own: replacing inside the JSON text could break it.
    const line = JSON.stringify(entry, (_key, value: unknown) =>
      typeof value === 'string' ? this.redact(value) : value,
    );
    fs.appendFileSync(this.filePath, `${line}\n`, { mode: 0o600 });
    return response;
  }
}

/** Reads a cassette; a torn last line is ignored, any other bad line is an error. */
export function readCassette(filePath: string): CassetteEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(filePath, 'utf8');
  } catch (error) {
    throw new TaskflowError(
      'config',
      `cannot read cassette ${filePath}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const lines = text.split('\n');
  const entries: CassetteEntry[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    try {
      const entry = JSON.parse(line) as CassetteEntry;
      if (entry.version !== CASSETTE_VERSION) {
        throw new Error(
          `unsupported cassette version ${String(entry.version)} (expected ${CASSETTE_VERSION})`,
        );
      }
      entries.push(entry);
    } catch (error) {
      if (index === lines.length - 1) return;
      throw new TaskflowError(
        'config',
        `${filePath}:${index + 1}: invalid cassette line: ${(error as Error).message}`,
        { cause: error },
      );
    }
  });
  return entries;
}

/** The key of a request without its model id: a cassette recorded against one endpoint
 *  (whose default model differs) still answers the same conversation elsewhere. */
function keyWithoutModel(request: ModelRequest): string {
  return requestKey({ ...request, model: '' });
}

/**
 * Answers requests from a cassette: each request takes the first unused recorded exchange
 * with the same key (or, failing that, the same key apart from the model id). A request
 * that was never recorded is a configuration error (exit 78) naming the model and the
 * cassette, never a network call.
 */
export class ReplayingClient implements ModelClient {
  private readonly unused: CassetteEntry[];

  constructor(
    private readonly filePath: string,
    readonly apiType: 'chat_completions' | 'responses' = 'chat_completions',
    readonly endpoint = 'replay:',
  ) {
    this.unused = readCassette(filePath);
  }

  complete(request: ModelRequest, options?: CompleteOptions): Promise<ModelResponse> {
    options?.signal?.throwIfAborted();
    const key = requestKey(request);
    let index = this.unused.findIndex((entry) => entry.key === key);
    if (index === -1) {
      const loose = keyWithoutModel(request);
      index = this.unused.findIndex((entry) => keyWithoutModel(entry.request) === loose);
    }
    if (index === -1) {
      return Promise.reject(
        new TaskflowError(
          'config',
          `cassette ${this.filePath} has no recorded answer for this request to model "${request.model}" (the prompt, tools or settings differ from the recording; record it again with --record)`,
        ),
      );
    }
    const [entry] = this.unused.splice(index, 1) as [CassetteEntry];
    if (entry.response.text !== '') options?.onTextDelta?.(entry.response.text);
    return Promise.resolve(entry.response);
  }
}
