import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/fake-model-server.js';
import {
  header,
  load,
  removeScratchFolders,
  runLoaded,
  scratchFolder,
} from '../engine/engine-kit.js';
import { REDACTED, Redactor } from '../../src/redactor.js';

/**
 * A toolbox's rendered `env` values are secrets when their key says so, whatever the
 * variable they were read from is called; other values read by the same templates stay data.
 */

let server: FakeModelServer;
beforeAll(async () => {
  server = await startFakeModelServer();
  server.setHandler(() => ({ kind: 'message', text: 'done' }));
});
afterAll(async () => {
  await server.close();
  removeScratchFolders();
});

describe('toolbox secrets', () => {
  it('registers env values under a secret key, not the others', async () => {
    const folder = scratchFolder({
      'toolboxes/keyed.yaml': `${header('toolbox')}server_params:\n  kind: stdio\n  command: "{{ runner.node }}"\n  args: ["{{ runner.root }}/dist/mcp-servers/echo.js"]\n  env:\n    SERVICE_API_KEY: "{{ env('PLAIN_VALUE') }}"\n    SERVICE_MODE: "{{ env('PLAIN_MODE') }}"\n    READONLY: "{{ env('GITHUB_MCP_READONLY') }}"\n`,
      'personalities/keyed.yaml': `${header('personality')}personality: You use tools.\ntask: Use them.\ntoolboxes: [toolboxes.keyed]\n`,
      'flow.yaml': `${header('taskflow')}taskflow:\n  - task:\n      agents: [personalities.keyed]\n      user_prompt: "Go."\n`,
    });
    const redactor = new Redactor();
    const run = await runLoaded(load(folder, 'flow'), folder, {
      endpoint: server.url,
      environment: {
        PLAIN_VALUE: 'innocentvalue42x',
        PLAIN_MODE: 'fastpath2go',
        GITHUB_MCP_READONLY: 'true',
      },
      redactor,
    });
    expect(run.result.end.status).toBe('succeeded');
    expect(redactor.redact('innocentvalue42x fastpath2go true')).toBe(
      `${REDACTED} fastpath2go true`,
    );
  });
});
