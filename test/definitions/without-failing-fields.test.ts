import { describe, expect, it } from 'vitest';
import { HEADER_KEY } from '../../src/definitions/header-key.js';
import { taskflowSchema } from '../../src/definitions/schemas/taskflow-schema.js';
import { withoutFailingFields } from '../../src/definitions/without-failing-fields.js';

const header = { version: '1.0', filetype: 'taskflow' };

function flow(...tasks: Record<string, unknown>[]) {
  return { [HEADER_KEY]: header, taskflow: tasks.map((task) => ({ task })) };
}

describe('withoutFailingFields', () => {
  it('returns a valid value as it is', () => {
    const value = flow({ name: 'a', run: 'echo hi' });
    expect(withoutFailingFields(value, taskflowSchema)).toBe(value);
  });

  it('drops each field of the wrong type, and an unknown field, keeping the rest in place', () => {
    const value = flow(
      { name: 'a', async_limit: 'ten', user_prompt: 'hi', agents: ['x.y'], colour: 'red' },
      { name: 'b', agents: [1, 'p.q'], user_prompt: 'there' },
    );
    expect(withoutFailingFields(value, taskflowSchema)).toEqual(
      flow({ name: 'a', user_prompt: 'hi', agents: ['x.y'] }, { name: 'b', user_prompt: 'there' }),
    );
    // The input is not touched.
    expect(value.taskflow[0]?.task).toHaveProperty('async_limit', 'ten');
  });

  it('gives up when what is left still fails (a task that is not a mapping)', () => {
    const value = { [HEADER_KEY]: header, taskflow: [{ task: 'run everything' }] };
    expect(withoutFailingFields(value, taskflowSchema)).toBeUndefined();
  });

  it('gives up when only unknown fields were wrong (nothing to repair)', () => {
    const value = flow({ name: 'a', run: 'echo', colour: 'red' });
    expect(withoutFailingFields(value, taskflowSchema)).toBeUndefined();
  });
});
