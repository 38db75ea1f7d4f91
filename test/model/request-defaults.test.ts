import { describe, expect, it } from 'vitest';
import { TaskflowError } from '../../src/errors.js';
import { requestDefaultsFor, withRequestDefaults } from '../../src/model/request-defaults.js';
import type { ModelRequest } from '../../src/model/types.js';

const request = (
  settings: Record<string, unknown>,
  tools: ModelRequest['tools'] = [],
): ModelRequest => ({ model: 'm', instructions: '', conversation: [], tools, settings });
const TOOL = { name: 'echo__echo', parameters: { type: 'object' } };

describe('requestDefaultsFor (seclab runner.py)', () => {
  it('temperature 0 on chat completions, none on responses; parallel tool calls off', () => {
    expect(requestDefaultsFor('chat_completions', {})).toEqual({
      temperature: 0,
      parallelToolCalls: false,
    });
    expect(requestDefaultsFor('responses', {})).toEqual({ parallelToolCalls: false });
  });

  it('MODEL_TEMP sets the temperature of both apis', () => {
    expect(requestDefaultsFor('chat_completions', { MODEL_TEMP: '0.7' }).temperature).toBe(0.7);
    expect(requestDefaultsFor('responses', { MODEL_TEMP: ' 1 ' }).temperature).toBe(1);
    expect(requestDefaultsFor('responses', { MODEL_TEMP: '' }).temperature).toBeUndefined();
  });

  it('MODEL_TEMP that is not a number is a config error naming it', () => {
    let error: unknown;
    try {
      requestDefaultsFor('chat_completions', { MODEL_TEMP: 'warm' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TaskflowError);
    expect(error).toMatchObject({ code: 'config' });
    expect((error as Error).message).toBe(
      'MODEL_TEMP must be a number (the temperature sent to the model), got "warm"',
    );
  });

  it('MODEL_PARALLEL_TOOL_CALLS: any value turns it on except empty, 0, false, no, off', () => {
    for (const value of ['1', 'true', 'yes', 'on', 'anything'])
      expect(
        requestDefaultsFor('chat_completions', { MODEL_PARALLEL_TOOL_CALLS: value })
          .parallelToolCalls,
      ).toBe(true);
    for (const value of ['', '0', 'false', 'FALSE', 'no', 'off'])
      expect(
        requestDefaultsFor('chat_completions', { MODEL_PARALLEL_TOOL_CALLS: value })
          .parallelToolCalls,
      ).toBe(false);
  });
});

describe('withRequestDefaults', () => {
  const defaults = { temperature: 0, parallelToolCalls: false };

  it('adds tool_choice and parallel_tool_calls only when the request offers tools', () => {
    expect(withRequestDefaults(request({}), defaults).settings).toEqual({ temperature: 0 });
    expect(withRequestDefaults(request({}, [TOOL]), defaults).settings).toEqual({
      temperature: 0,
      tool_choice: 'auto',
      parallel_tool_calls: false,
    });
  });

  it('the request’s own settings win, and null removes a default', () => {
    const sent = withRequestDefaults(
      request({ temperature: null, tool_choice: 'required', top_p: 0.5 }, [TOOL]),
      defaults,
    );
    expect(sent.settings).toEqual({
      tool_choice: 'required',
      parallel_tool_calls: false,
      top_p: 0.5,
    });
  });

  it('without defaults only drops null settings', () => {
    expect(withRequestDefaults(request({ a: null, b: 1 }, [TOOL]), undefined).settings).toEqual({
      b: 1,
    });
  });
});
