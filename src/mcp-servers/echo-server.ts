import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { textResult } from './text-result.js';

/**
 * The echo MCP server, as seclab-taskflow-agent's server of that name: tool `echo_tool`
 * answers "Tool echo: <message>"; resource templates `echo://1/{message}` and
 * `echo://2/{message}` answer "Resource 1 echo: <message>" and "Resource 2 echo: <message>";
 * prompt `echo_prompt` asks to process the message.
 */
export function createEchoServer(onToolCall: (tool: string) => void = () => undefined): McpServer {
  const server = new McpServer({ name: 'Echo', version: '1.0.0' });

  server.registerTool(
    'echo_tool',
    {
      description: 'Send a message to this tool and get it echoed back.',
      inputSchema: { message: z.string().describe('The text to echo back.') },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    (args) => {
      onToolCall('echo_tool');
      return textResult(`Tool echo: ${args.message}`);
    },
  );

  for (const number of [1, 2]) {
    server.registerResource(
      `echo_resource${number}`,
      new ResourceTemplate(`echo://${number}/{message}`, { list: undefined }),
      {
        description: 'Echoes the message in the address back as a resource.',
        mimeType: 'text/plain',
      },
      (uri, variables) => ({
        contents: [
          {
            uri: uri.href,
            mimeType: 'text/plain',
            text: `Resource ${number} echo: ${String(variables.message)}`,
          },
        ],
      }),
    );
  }

  server.registerPrompt(
    'echo_prompt',
    {
      description: 'A prompt that asks to process the given message.',
      argsSchema: { message: z.string().describe('The message to process.') },
    },
    (args) => ({
      messages: [
        {
          role: 'user',
          content: { type: 'text', text: `Please process this message: ${args.message}` },
        },
      ],
    }),
  );

  return server;
}
