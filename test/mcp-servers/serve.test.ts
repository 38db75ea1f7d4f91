import { describe, expect, it } from 'vitest';
import { parseServeArguments } from '../../src/mcp-servers/serve.js';

describe('parseServeArguments', () => {
  it('defaults to stdio', () => {
    expect(parseServeArguments([])).toEqual({ transport: 'stdio' });
    expect(parseServeArguments(['--transport', 'stdio'])).toEqual({ transport: 'stdio' });
  });

  it('reads streamable port and host, in both flag forms', () => {
    expect(parseServeArguments(['--transport', 'streamable', '--port', '0'])).toEqual({
      transport: 'streamable',
      port: 0,
      host: '127.0.0.1',
    });
    expect(
      parseServeArguments(['--transport=streamable', '--port=8765', '--host', '0.0.0.0']),
    ).toEqual({ transport: 'streamable', port: 8765, host: '0.0.0.0' });
  });

  it.each([
    [['--bogus'], /unknown argument "--bogus"/],
    [['--transport', 'sse'], /unknown transport "sse"/],
    [['--transport', 'streamable'], /--port must be a number/],
    [['--transport', 'streamable', '--port', '70000'], /--port must be a number/],
    [['--transport', 'streamable', '--port', 'x1'], /--port must be a number/],
    [['--port', '1'], /need --transport streamable/],
    [['--transport'], /--transport needs a value/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseServeArguments(argv)).toThrow(message);
  });
});
