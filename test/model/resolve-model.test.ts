import { describe, expect, it } from 'vitest';
import type { ModelConfigDefinition } from '../../src/definitions/types.js';
import { TaskflowError } from '../../src/errors.js';
import { defaultModelName, resolveModelTarget } from '../../src/model/resolve-model.js';

const modelConfig: ModelConfigDefinition = {
  kind: 'model_config',
  ref: 'configs.models',
  filePath: '/x/configs/models.yaml',
  shortName: 'models',
  apiType: 'chat_completions',
  models: { smart: 'openai/gpt-4.1', fast: 'gpt-4.1-mini', local: 'qwen3' },
  modelSettings: {
    smart: { temperature: 0.1, top_p: 0.5, resilience: { max_attempts: 4 }, backend: 'x' },
    fast: { api_type: 'responses', reasoning: { effort: 'low' }, token: 'FAST_TOKEN' },
    local: { endpoint: 'http://127.0.0.1:11434/v1' },
  },
};

const environment = { AI_API_TOKEN: 'main-token', COPILOT_TOKEN: 'copilot-token' };

function configError(run: () => unknown): TaskflowError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(TaskflowError);
    expect((error as TaskflowError).code).toBe('config');
    return error as TaskflowError;
  }
  throw new Error('expected a config error');
}

describe('resolveModelTarget', () => {
  it('looks the name up, merges settings (task wins) and removes engine keys', () => {
    const target = resolveModelTarget({
      name: 'smart',
      modelConfig,
      taskSettings: { temperature: 0.7, max_tokens: 100 },
      environment,
    });
    expect(target).toEqual({
      modelId: 'openai/gpt-4.1',
      apiType: 'chat_completions',
      endpoint: 'https://models.github.ai/inference',
      tokenVariable: 'AI_API_TOKEN',
      token: 'main-token',
      apiSettings: { temperature: 0.7, top_p: 0.5, max_tokens: 100 },
      // seclab's defaults, sent under apiSettings (issue 9); GitHub Models needs no header.
      requestDefaults: { temperature: 0, parallelToolCalls: false },
      headers: {},
      resilience: { max_attempts: 4 },
      logicalName: 'smart',
    });
  });

  it('carries rate_limits validated for the pacer, never in the API settings', () => {
    const target = resolveModelTarget({
      name: 'smart',
      modelConfig,
      taskSettings: { rate_limits: { requests_per_minute: 15, concurrent_requests: 2 } },
      environment,
    });
    expect(target.rateLimits).toEqual({ requestsPerMinute: 15, concurrentRequests: 2 });
    expect(target.apiSettings).not.toHaveProperty('rate_limits');
    const invalid = configError(() =>
      resolveModelTarget({
        name: 'smart',
        modelConfig,
        taskSettings: { rate_limits: { requests_per_minute: 'fast' } },
        environment,
      }),
    );
    expect(invalid.message).toBe(
      'model smart: rate_limits.requests_per_minute: must be a number above 0, at most 1000000000, got "fast"',
    );
  });

  it('takes api_type and the token variable from settings', () => {
    const target = resolveModelTarget({
      name: 'fast',
      modelConfig,
      environment: { ...environment, FAST_TOKEN: 'fast-token' },
    });
    expect(target).toMatchObject({
      modelId: 'gpt-4.1-mini',
      apiType: 'responses',
      tokenVariable: 'FAST_TOKEN',
      token: 'fast-token',
      apiSettings: { reasoning: { effort: 'low' } },
    });
  });

  it('uses a literal id, AI_API_ENDPOINT and the COPILOT_TOKEN fallback', () => {
    const target = resolveModelTarget({
      name: 'gpt-4o',
      environment: {
        AI_API_ENDPOINT: 'https://api.openai.com/v1',
        COPILOT_TOKEN: 'c',
        AI_API_TOKEN: '',
      },
    });
    expect(target).toMatchObject({
      modelId: 'gpt-4o',
      logicalName: 'gpt-4o',
      apiType: 'chat_completions',
      endpoint: 'https://api.openai.com/v1',
      tokenVariable: 'COPILOT_TOKEN',
      token: 'c',
      apiSettings: {},
    });
    expect(target).not.toHaveProperty('resilience');
  });

  it('api_type of the model config applies when settings have none', () => {
    const responsesConfig = { ...modelConfig, apiType: 'responses' as const };
    expect(
      resolveModelTarget({ name: 'smart', modelConfig: responsesConfig, environment }).apiType,
    ).toBe('responses');
  });

  it('rejects api_type messages and unknown api types', () => {
    const messages = configError(() =>
      resolveModelTarget({ name: 'x', taskSettings: { api_type: 'messages' }, environment }),
    );
    expect(messages.message).toContain('messages is not supported');
    configError(() =>
      resolveModelTarget({ name: 'x', taskSettings: { api_type: 'grpc' }, environment }),
    );
    configError(() =>
      resolveModelTarget({ name: 'x', taskSettings: { endpoint: 'not a url' }, environment }),
    );
  });

  it('a missing token is a config error naming the variables', () => {
    const error = configError(() => resolveModelTarget({ name: 'gpt-4.1', environment: {} }));
    expect(error.message).toContain('AI_API_TOKEN or COPILOT_TOKEN');
    const named = configError(() => resolveModelTarget({ name: 'fast', modelConfig, environment }));
    expect(named.message).toContain('FAST_TOKEN');
  });

  it('a loopback endpoint needs no token', () => {
    const target = resolveModelTarget({ name: 'local', modelConfig, environment: {} });
    expect(target).toMatchObject({
      modelId: 'qwen3',
      endpoint: 'http://127.0.0.1:11434/v1',
      tokenVariable: 'AI_API_TOKEN',
      token: 'unused',
    });
    const localhost = resolveModelTarget({
      name: 'm',
      environment: { AI_API_ENDPOINT: 'http://localhost:8000/v1' },
    });
    expect(localhost.token).toBe('unused');
  });
});

describe('defaultModelName', () => {
  it.each([
    [{ TASKFLOW_DEFAULT_MODEL: 'a', COPILOT_DEFAULT_MODEL: 'b' }, 'a'],
    [{ COPILOT_DEFAULT_MODEL: 'b' }, 'b'],
    [{}, 'openai/gpt-4.1'],
    [{ AI_API_ENDPOINT: 'https://models.github.ai/inference' }, 'openai/gpt-4.1'],
    [{ AI_API_ENDPOINT: 'https://api.openai.com/v1' }, 'gpt-4.1'],
  ])('%j -> %s', (environmentValues, expected) => {
    expect(defaultModelName(environmentValues)).toBe(expected);
  });
});
