import { describe, expect, it } from 'vitest';
import { buildSystemPrompt, OPERATING_RULES } from '../../src/agent/system-prompt.js';

describe('buildSystemPrompt', () => {
  it('puts personality, operating rules, server prompts and task in that order', () => {
    const prompt = buildSystemPrompt({
      personality: '  You are a reviewer.\n',
      serverPrompts: ['First server prompt.\n', 'Second server prompt.'],
      task: '\nReview the change.\n',
    });
    expect(prompt).toBe(
      [
        'You are a reviewer.',
        OPERATING_RULES,
        'First server prompt.',
        'Second server prompt.',
        'Your task:\nReview the change.',
      ].join('\n\n'),
    );
  });

  it('states the operating rules: no questions, run to completion, rely on tool results', () => {
    expect(OPERATING_RULES).toMatch(/Do not ask the user questions/);
    expect(OPERATING_RULES).toMatch(/until the task is complete/);
    expect(OPERATING_RULES).toMatch(/tool results/);
  });

  it('leaves out blank server prompts and a missing or blank task', () => {
    expect(buildSystemPrompt({ personality: 'P', serverPrompts: ['', '  ', 'S'] })).toBe(
      ['P', OPERATING_RULES, 'S'].join('\n\n'),
    );
    expect(buildSystemPrompt({ personality: 'P', serverPrompts: [], task: ' ' })).toBe(
      ['P', OPERATING_RULES].join('\n\n'),
    );
  });
});
