// The first message an MCP client sends (JSON-RPC `initialize`, id 1) as one stdio line:
// what the build's code-cache warm-up and bench/startup.mjs send a bundled server.
export function initializeLine(clientName) {
  const request = {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: clientName, version: '0' },
    },
  };
  return `${JSON.stringify(request)}\n`;
}
