/**
 * Learning when a request was handed to its transport: the moment a tool call counts as
 * started (sessions.md `tool-intent`), which the MCP client does not report.
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { ChildProcessTransport } from './child-process-transport.js';

/**
 * Calls `listener` synchronously each time `transport.send` has been handed a message it
 * accepts (for our stdio transport: written to the server's stdin pipe; for the SDK's HTTP
 * transports: the request is under way). A send refused at once (the server already gone) is
 * not reported. Wraps the instance's `send`, which the connected client calls per message.
 *
 * @param listener must not throw (it runs inside the client's request)
 */
export function observeSends(
  transport: Transport,
  listener: (message: JSONRPCMessage) => void,
): void {
  const send = transport.send.bind(transport);
  transport.send = (message, options) => {
    const refused = transport instanceof ChildProcessTransport && !transport.writable;
    const sending = send(message, options);
    if (!refused) listener(message);
    return sending;
  };
}
