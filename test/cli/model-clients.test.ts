import { describe, expect, it } from 'vitest';
import { modelClientFactory } from '../../src/cli/model-clients.js';
import type { ModelTarget } from '../../src/model/resolve-model.js';
import { Redactor } from '../../src/redactor.js';

const target: ModelTarget = {
  modelId: 'fake-model',
  apiType: 'chat_completions',
  endpoint: 'http://127.0.0.1:9/v1',
  tokenVariable: 'AI_API_TOKEN',
  token: 'token-one',
  apiSettings: {},
  requestDefaults: { temperature: 0, parallelToolCalls: false },
  headers: {},
  logicalName: 'main',
};

describe('modelClientFactory', () => {
  it('shares one HTTP client between targets that differ only in what requests carry', () => {
    const create = modelClientFactory({ redactor: new Redactor() });
    const first = create(target);
    expect(create({ ...target, modelId: 'other', logicalName: 'x', apiSettings: { a: 1 } })).toBe(
      first,
    );
  });

  it('builds separate clients for another endpoint, token, api type, headers, request defaults or watchdog timeouts', () => {
    const create = modelClientFactory({ redactor: new Redactor() });
    const first = create(target);
    const others = [
      create({ ...target, endpoint: 'http://127.0.0.1:10/v1' }),
      create({ ...target, token: 'token-two' }),
      create({ ...target, apiType: 'responses' }),
      create({ ...target, resilience: { idle_timeout_ms: 5_000 } }),
      create({ ...target, headers: { 'Copilot-Integration-Id': 'vscode-chat' } }),
      create({ ...target, requestDefaults: { temperature: 0.5, parallelToolCalls: false } }),
    ];
    expect(new Set([first, ...others]).size).toBe(7);
    expect(others[2]?.apiType).toBe('responses');
    expect(create({ ...target, resilience: { idle_timeout_ms: 5_000 } })).toBe(others[3]);
  });
});
