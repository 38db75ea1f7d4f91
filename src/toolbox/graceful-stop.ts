/**
 * The abort reason of a graceful stop (first Ctrl-C or SIGTERM). Loads no MCP SDK code: the
 * CLI's interrupt handler imports it at start-up.
 */

/**
 * How long tool calls already sent may take to finish after a graceful stop. With the
 * teardown after it, the runner still exits within 2.5 s of the signal.
 */
export const TOOL_CALL_GRACE_MS = 1500;

/**
 * Aborting with this reason stops everything that waits (model requests, approvals, server
 * starts, calls not yet sent) at once, but lets a tool call that already reached its
 * transport run until `graceOver` fires: its result is then journaled instead of becoming
 * "outcome unknown" on resume. Any other abort reason cancels tool calls at once.
 */
export class GracefulStop extends Error {
  constructor(
    message: string,
    /** Fires when the grace for tool calls already sent is over. */
    readonly graceOver: AbortSignal,
  ) {
    super(message);
  }
}

/**
 * A graceful stop whose grace ends after `graceMs` (the timer does not keep the process
 * alive: once nothing else runs, there is nothing left to wait for).
 */
export function startGracefulStop(message: string, graceMs = TOOL_CALL_GRACE_MS): GracefulStop {
  const grace = new AbortController();
  setTimeout(() => grace.abort(), graceMs).unref();
  return new GracefulStop(message, grace.signal);
}

/** When `reason` grants tool calls already sent a grace: the signal that ends it. */
export function toolCallGraceOf(reason: unknown): AbortSignal | undefined {
  return reason instanceof GracefulStop ? reason.graceOver : undefined;
}
