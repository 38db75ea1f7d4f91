/** The toolbox layer: MCP client lifecycle (start, connect, list, call, close). */
export { buildServerEnvironment, SAFE_ENVIRONMENT_NAMES } from './build-server-environment.js';
export { connectToolbox, isPermanentStartFailure } from './connect-toolbox.js';
export {
  connectToolboxWithRetries,
  DEFAULT_START_RETRY_DELAYS_MS,
} from './connect-toolbox-with-retries.js';
export { connectToolboxes, ToolboxSet } from './connect-toolboxes.js';
export {
  DEFAULT_MAX_RESTARTS,
  ResilientToolboxConnection,
  type ResilientConnectionOptions,
} from './resilient-toolbox-connection.js';
export { isRerunnable } from './tool-failure-messages.js';
export {
  GracefulStop,
  startGracefulStop,
  TOOL_CALL_GRACE_MS,
  toolCallGraceOf,
} from './graceful-stop.js';
export { DEFAULT_CLOSE_GRACE_MS } from './launch-server-process.js';
// The CLI's 'exit' handler should import this from './process-registry.js' directly: that
// module loads no MCP SDK code.
export { killAllToolboxProcesses } from './process-registry.js';
export { toolResultToText } from './tool-result-to-text.js';
export type { ToolResultLike } from './tool-result-to-text.js';
export type {
  CloseOptions,
  ConnectOptions,
  ResolvedToolbox,
  StartRetryOptions,
  ToolAnnotations,
  ToolCallOptions,
  ToolCallOutcome,
  ToolInfo,
  ToolProgress,
  ToolboxConnection,
  ToolboxResilienceOptions,
} from './types.js';
