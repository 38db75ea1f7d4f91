/** The toolbox layer: MCP client lifecycle (start, connect, list, call, close). */
export { buildServerEnvironment, SAFE_ENVIRONMENT_NAMES } from './build-server-environment.js';
export { connectToolbox } from './connect-toolbox.js';
export { connectToolboxes, ToolboxSet } from './connect-toolboxes.js';
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
  ToolAnnotations,
  ToolCallOptions,
  ToolCallOutcome,
  ToolInfo,
  ToolProgress,
  ToolboxConnection,
} from './types.js';
