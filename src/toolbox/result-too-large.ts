/**
 * The answer a request gets in place of a server message too large to read: a JSON-RPC
 * error the SDK hands back as an `McpError`, recognised by its `data` so that a tool call
 * can tell the model its result was too large instead of reporting a broken server.
 */

/** In JSON-RPC's implementation-defined server error range; the MCP SDK does not use it. */
export const RESULT_TOO_LARGE_CODE = -32090;

export interface ResultTooLarge {
  readonly bytes: number;
  readonly limitBytes: number;
}

export interface ResultTooLargeError {
  readonly code: number;
  /** "result too large (12.3 MB, limit 10 MB)" */
  readonly message: string;
  readonly data: { readonly resultTooLarge: ResultTooLarge };
}

const MEBIBYTE = 1024 * 1024;

export function resultTooLargeError(bytes: number, limitBytes: number): ResultTooLargeError {
  const size = (bytes / MEBIBYTE).toFixed(1);
  const limit = Number((limitBytes / MEBIBYTE).toFixed(1));
  return {
    code: RESULT_TOO_LARGE_CODE,
    message: `result too large (${size} MB, limit ${limit} MB)`,
    data: { resultTooLarge: { bytes, limitBytes } },
  };
}

/** The sizes when `error` is the SDK's rendering of `resultTooLargeError`, else undefined. */
export function resultTooLargeOf(error: unknown): ResultTooLarge | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, data } = error as Error & { code?: unknown; data?: unknown };
  if (code !== RESULT_TOO_LARGE_CODE || typeof data !== 'object' || data === null) return undefined;
  const sizes = (data as { resultTooLarge?: unknown }).resultTooLarge;
  if (typeof sizes !== 'object' || sizes === null) return undefined;
  const { bytes, limitBytes } = sizes as Record<string, unknown>;
  return typeof bytes === 'number' && typeof limitBytes === 'number'
    ? { bytes, limitBytes }
    : undefined;
}
