import { describe, expect, it } from 'vitest';
import { modelEnvironment } from '../../src/cli/check-model-targets.js';

describe('modelEnvironment', () => {
  it('gives a replay a stand-in token, also when AI_API_TOKEN is set but empty', () => {
    expect(modelEnvironment({}, 'c.jsonl').AI_API_TOKEN).toBe('replay');
    expect(modelEnvironment({ AI_API_TOKEN: '' }, 'c.jsonl').AI_API_TOKEN).toBe('replay');
  });

  it('keeps a real token, and changes nothing without a replay', () => {
    expect(modelEnvironment({ AI_API_TOKEN: 't0k' }, 'c.jsonl').AI_API_TOKEN).toBe('t0k');
    expect(modelEnvironment({ AI_API_TOKEN: '' }, undefined).AI_API_TOKEN).toBe('');
  });
});
