import { describe, expect, it } from 'vitest';
import { endpointProvider } from '../../src/model/endpoint-provider.js';

/** Cases of seclab's tests/test_capi_extended.py, on our provider traits. */

const COPILOT = 'https://api.githubcopilot.com';
const MODELS = 'https://models.github.ai/inference';
const OPENAI = 'https://api.openai.com/v1';
const PROXY = 'http://172.30.0.30:10002';

describe('endpointProvider: the registry', () => {
  it('Copilot: named copilot, sends Copilot-Integration-Id (default vscode-chat)', () => {
    const provider = endpointProvider(COPILOT, {});
    expect(provider.name).toBe('copilot');
    expect(provider.headers).toEqual({ 'Copilot-Integration-Id': 'vscode-chat' });
    expect(provider.defaultModel).toBe('gpt-4.1');
    expect(provider.catalogUrl(COPILOT)).toBe('https://api.githubcopilot.com/models');
  });

  it('COPILOT_INTEGRATION_ID replaces the header value', () => {
    const provider = endpointProvider(`${COPILOT}/`, { COPILOT_INTEGRATION_ID: 'my-app' });
    expect(provider.headers).toEqual({ 'Copilot-Integration-Id': 'my-app' });
  });

  it('GitHub Models: its catalog at /catalog/models, default openai/gpt-4.1, no header', () => {
    const provider = endpointProvider(MODELS, {});
    expect(provider.name).toBe('github-models');
    expect(provider.catalogUrl(MODELS)).toBe('https://models.github.ai/catalog/models');
    expect(provider.defaultModel).toBe('openai/gpt-4.1');
    expect(provider.headers).toEqual({});
  });

  it('OpenAI and custom endpoints send no extra header', () => {
    expect(endpointProvider(OPENAI, {})).toMatchObject({ name: 'openai', headers: {} });
    const custom = endpointProvider('https://my-custom-llm.example.com/v1', {});
    expect(custom).toMatchObject({ name: 'custom', headers: {} });
    expect(custom.catalogUrl('https://my-custom-llm.example.com/v1')).toBe(
      'https://my-custom-llm.example.com/v1/models',
    );
  });

  it('AWF_COPILOT_PROXY (bare host or URL) gives an unknown proxy host Copilot’s traits', () => {
    for (const upstream of ['api.githubcopilot.com', 'https://api.githubcopilot.com']) {
      const provider = endpointProvider(PROXY, { AWF_COPILOT_PROXY: upstream });
      expect(provider.name).toBe('copilot');
      expect(provider.defaultModel).toBe('gpt-4.1');
      expect(provider.headers).toHaveProperty('Copilot-Integration-Id');
      expect(provider.catalogUrl(PROXY)).toBe(`${PROXY}/models`);
    }
  });

  it('an unknown AWF upstream, or none, leaves the proxy a custom endpoint', () => {
    expect(endpointProvider(PROXY, { AWF_COPILOT_PROXY: 'not-a-real-provider.com' }).name).toBe(
      'custom',
    );
    expect(endpointProvider(PROXY, {}).name).toBe('custom');
  });

  it('a known host keeps its own traits whatever AWF_COPILOT_PROXY says', () => {
    const provider = endpointProvider(MODELS, { AWF_COPILOT_PROXY: 'api.githubcopilot.com' });
    expect(provider.name).toBe('github-models');
    expect(provider.headers).toEqual({});
  });
});

describe('endpointProvider: tool support of a catalog entry', () => {
  it('custom: read from capabilities when given, else unknown', () => {
    const custom = endpointProvider('https://custom.api.example.com/v1', {});
    expect(custom.toolCalls({ id: 'my-model' })).toBeUndefined();
    expect(custom.toolCalls({ id: 'm', capabilities: ['tool-calling'] })).toBe(true);
    expect(custom.toolCalls({ id: 'm', capabilities: { supports: { tool_calls: false } } })).toBe(
      false,
    );
  });

  it('Copilot: capabilities.supports.tool_calls, false when absent', () => {
    const copilot = endpointProvider(COPILOT, {});
    expect(
      copilot.toolCalls({ id: 'gpt-4o', capabilities: { supports: { tool_calls: true } } }),
    ).toBe(true);
    expect(copilot.toolCalls({ id: 'text-only', capabilities: { supports: {} } })).toBe(false);
  });

  it('GitHub Models: "tool-calling" in the capabilities list', () => {
    const models = endpointProvider(MODELS, {});
    expect(models.toolCalls({ id: 'openai/gpt-4o', capabilities: ['tool-calling', 'chat'] })).toBe(
      true,
    );
    expect(models.toolCalls({ id: 'some-model', capabilities: ['chat'] })).toBe(false);
  });

  it('OpenAI: chat model families only (its catalog has no capabilities)', () => {
    const openai = endpointProvider(OPENAI, {});
    for (const id of ['gpt-4o', 'o1-preview', 'o3-mini', 'o4-mini'])
      expect(openai.toolCalls({ id })).toBe(true);
    for (const id of ['text-embedding-ada-002', 'whisper-1', 'dall-e-3', 'tts-1'])
      expect(openai.toolCalls({ id })).toBe(false);
    expect(openai.toolCalls({})).toBe(false);
  });
});
