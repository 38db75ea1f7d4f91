/** Shared setup for the template tests: a renderer over an in-memory prompt table. */
import { expect } from 'vitest';
import { TaskflowError } from '../../src/errors.js';
import {
  createTemplateRenderer,
  type TemplateRenderer,
} from '../../src/templates/template-renderer.js';

export interface TestRenderer {
  readonly renderer: TemplateRenderer;
  /** Every (name, value) passed to onEnvRead, in order. */
  readonly envReads: [string, string][];
  /** Every name passed to resolvePrompt, in order. */
  readonly resolved: string[];
}

export function createTestRenderer(
  options: {
    environment?: Record<string, string | undefined>;
    prompts?: Record<string, string>;
  } = {},
): TestRenderer {
  const envReads: [string, string][] = [];
  const resolved: string[] = [];
  const prompts = options.prompts ?? {};
  const renderer = createTemplateRenderer({
    environment: options.environment ?? {},
    resolvePrompt: (name) => {
      resolved.push(name);
      const text = prompts[name];
      if (text === undefined)
        throw new TaskflowError('reference-unresolved', `unknown prompt "${name}"`);
      return { text, filePath: `${name.replaceAll('.', '/')}.yaml` };
    },
    onEnvRead: (name, value) => envReads.push([name, value]),
  });
  return { renderer, envReads, resolved };
}

/** The TaskflowError `action` throws (fails the test when it does not throw one). */
export function thrownBy(action: () => unknown): TaskflowError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(TaskflowError);
    return error as TaskflowError;
  }
  throw new Error('expected a TaskflowError, nothing was thrown');
}
