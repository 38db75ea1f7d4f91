import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { describe, expect, it } from 'vitest';
import { classifyModelError } from '../../src/model/classify-error.js';
import { ResponsesReplyCollector } from '../../src/model/responses-wire.js';

/** Events the fake server does not produce; cast because only the read fields matter. */
function event(fields: Record<string, unknown>): ResponseStreamEvent {
  return fields as unknown as ResponseStreamEvent;
}

function terminal(type: string, response: Record<string, unknown>): ResponseStreamEvent {
  return event({ type, response: { output: [], usage: null, ...response } });
}

const context = { endpoint: 'https://api.example.com/v1', model: 'm' };

describe('ResponsesReplyCollector', () => {
  it('response.failed throws an error classified by its code', () => {
    const collector = new ResponsesReplyCollector();
    const failed = terminal('response.failed', {
      status: 'failed',
      error: { code: 'rate_limit_exceeded', message: 'slow down' },
    });
    let thrown: unknown;
    try {
      collector.add(failed);
    } catch (error) {
      thrown = error;
    }
    expect(classifyModelError(thrown, context).classification).toEqual({
      errorClass: 'rate-limited',
      retryable: true,
    });
    expect(collector.result()).toBeUndefined();
  });

  it('maps incomplete reasons and falls back to streamed text without a message item', () => {
    const collector = new ResponsesReplyCollector();
    collector.add(event({ type: 'response.output_text.delta', delta: 'partial' }));
    collector.add(
      terminal('response.incomplete', {
        status: 'incomplete',
        incomplete_details: { reason: 'max_output_tokens' },
        usage: {
          input_tokens: 3,
          output_tokens: 4,
          total_tokens: 7,
        },
      }),
    );
    expect(collector.result()).toEqual({
      text: 'partial',
      toolCalls: [],
      finishReason: 'length',
      usage: { inputTokens: 3, outputTokens: 4 },
    });
  });
});
