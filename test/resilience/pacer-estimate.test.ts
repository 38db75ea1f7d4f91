import { describe, expect, it } from 'vitest';
import { estimateRequestTokens, textLength } from '../../src/resilience/pacer-estimate.js';
import { pacerKey } from '../../src/resilience/pacer-registry.js';

describe('estimateRequestTokens', () => {
  it('counts about four characters per token over instructions, conversation and tools', () => {
    const request = {
      instructions: 'x'.repeat(400),
      conversation: [{ role: 'user', content: 'y'.repeat(800) }],
      tools: [],
      settings: { temperature: 0.2 },
    };
    // 400 + 2 (the item) + (2 + 4 + 4) + (2 + 7 + 800) = 1221 chars.
    expect(estimateRequestTokens(request)).toEqual({ inputTokens: 306 });
    expect(textLength({ a: [1, 'bc'] })).toBe(2 + 1 + 2 + 4 + 2 + 2);
  });

  it('takes the output cap from the settings, first of the spellings that is a positive integer', () => {
    const settings = (value: Record<string, unknown>) =>
      estimateRequestTokens({ settings: value }).maxOutputTokens;
    expect(settings({ max_tokens: 512 })).toBe(512);
    expect(settings({ max_completion_tokens: 256, max_tokens: 512 })).toBe(256);
    expect(settings({ max_output_tokens: 1000 })).toBe(1000);
    expect(settings({ max_tokens: 0 })).toBeUndefined();
    expect(settings({ max_tokens: '512' })).toBeUndefined();
  });
});

describe('pacerKey', () => {
  it('keys by endpoint, provider model and a hash of the credential, never the credential', () => {
    const key = pacerKey({
      endpoint: 'https://api.example/v1',
      model: 'gpt-4o',
      credential: 'sk-secret-123',
    });
    expect(key).not.toContain('sk-secret');
    const [endpoint, model, hash] = key.split('\u0000');
    expect([endpoint, model]).toEqual(['https://api.example/v1', 'gpt-4o']);
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
    expect(
      pacerKey({ endpoint: 'https://api.example/v1', model: 'gpt-4o', credential: 'other' }),
    ).not.toBe(key);
    expect(pacerKey({ endpoint: 'https://api.example/v1', model: 'gpt-4o' })).toBe(
      'https://api.example/v1\u0000gpt-4o\u0000-',
    );
  });
});
